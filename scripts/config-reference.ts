/** Writes docs/config.md from the settings' descriptions (src-main/contract/configReference.ts). */
import { writeFileSync } from 'node:fs';
import { configReferenceMarkdown } from '../src-main/contract/configReference';

writeFileSync(new URL('../docs/config.md', import.meta.url), configReferenceMarkdown());
