import { action } from './claudeops.js';

await action();
