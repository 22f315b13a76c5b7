import { post } from './claudeops.js';
await post();
