/** How CLI commands open the workbench service on a data directory. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkbenchService } from '../service/service';
import { InstanceLockedError, lockHolder } from '../store/instanceLock';
import { checkoutRoot } from './checkout';

/** The version runs record, from package.json (npm only sets it for `npm run`, not for `npx deml`). */
export const APP_VERSION = (
  JSON.parse(readFileSync(join(checkoutRoot(), 'package.json'), 'utf8')) as { version: string }
).version;

/** Read the store and leave requests (cancel, resume) for whichever workbench owns the directory. */
export function openClient(dataDir: string): WorkbenchService {
  return WorkbenchService.open({ dataDir, appVersion: APP_VERSION, mode: 'client' });
}

/**
 * Open the service as the owner when the directory is free (we train in the foreground), else
 * as a client (the running workbench trains).
 */
export function openOwnerOrClient(dataDir: string, detach: boolean, concurrency = 1): WorkbenchService {
  if (!detach && !lockHolder(dataDir)) {
    try {
      return WorkbenchService.open({
        dataDir,
        appVersion: APP_VERSION,
        mode: 'owner',
        ownerName: 'deml CLI',
        concurrency,
      });
    } catch (e) {
      if (!(e instanceof InstanceLockedError)) throw e;
    }
  }
  return openClient(dataDir);
}
