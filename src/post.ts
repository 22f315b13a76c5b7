import './shims/esm-dirname.js';
import { runPost } from './post-main.js';

process.exitCode = await runPost();
