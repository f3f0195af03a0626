/**
 * The workers role in a process of its own, for the fault test (which SIGKILLs it): the
 * configuration from the environment, the MongoDB store (`MONGO_URL`) behind an outage
 * switch the parent flips over IPC (`{ storeDown: boolean }`). Prints `ready` once the
 * workers are up; at the end of each outage, sends `{ refused }` (store calls refused).
 */
import { startRoles } from '../../app/roles.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openStore } from '../../src/store/open-store.js';
import { withOutage } from './store-outage.js';

const config = loadConfig(process.env);
const log = createLogger(process.env.FAULT_LOG_LEVEL ?? 'silent');
const opened = await openStore({ store: 'mongo', mongoUrl: config.mongoUrl, dataDir: config.dataDir, log });
const outage = withOutage(opened.store);
let reported = 0;
process.on('message', (m: { storeDown?: boolean }) => {
  if (typeof m?.storeDown !== 'boolean') return;
  outage.setDown(m.storeDown);
  // At the end of an outage, tell the parent how many store calls it refused.
  if (!m.storeDown) {
    process.send?.({ refused: outage.refused() - reported });
    reported = outage.refused();
  }
});
await startRoles({ config, roles: ['workers'], log, store: outage.store });
process.stdout.write('ready\n');
