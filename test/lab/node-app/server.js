// The lab's node app (test/e2e/lab/reinstall-deps.test.ts): answers "ok" on :8090 using its one
// dependency; without node_modules it dies at start ("Cannot find module 'lab-dep'").
const http = require('node:http');
const greet = require('lab-dep');

http.createServer((_req, res) => res.end(`${greet()}\n`)).listen(8090, '127.0.0.1');
