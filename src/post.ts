import './shims/esm-dirname.js';
import { run } from './post-main.js';

await run();
