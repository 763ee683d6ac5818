// tsc copies no .sql files: put the migrations beside the compiled store.
import { cpSync } from 'node:fs';
cpSync('src/store/migrations', 'dist/store/migrations', { recursive: true });
