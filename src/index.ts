import './shims/esm-dirname.js';
import { run } from './main.js';

await run();
