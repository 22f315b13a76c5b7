#!/usr/bin/env node
import { cli } from './claudeops.js';

process.exitCode = await cli(process.argv.slice(2));
