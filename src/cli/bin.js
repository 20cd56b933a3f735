#!/usr/bin/env node
// The `simulate` command. TypeScript runs through tsx's loader: no build step, no output folder.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
