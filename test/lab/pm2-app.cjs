// The app pm2 runs on the light server s1 (as labops, `pm2 start … --name lab-worker`): an idle
// worker. While /run/lab/pm2.mode says "crash" it exits at start, so pm2 restarts it until it
// gives up (max restarts) and marks it errored: the lab's `pm2-errored` fault.
const { readFileSync } = require('node:fs');

let mode = 'ok';
try {
  mode = readFileSync('/run/lab/pm2.mode', 'utf8').trim();
} catch {
  // no mode file: run normally
}
if (mode === 'crash') {
  console.error('lab-worker: crash mode, exiting');
  process.exit(1);
}
console.log(`lab-worker ${process.pid} up`);
setInterval(() => {}, 60_000);
