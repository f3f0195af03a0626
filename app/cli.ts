/**
 * The `midfunnel` executable: the core commands of `src/cli/main.ts` plus `start`,
 * which composes process roles from `bots/`, `workers/` and the HTTP server.
 */
import { main as coreMain, processIo } from '../src/cli/main.js';

export async function main(argv: string[]): Promise<number> {
  return coreMain(argv, processIo(), {
    start: {
      summary: 'run the service: all roles in one process, or one with --role http|workers|telegram|whatsapp',
      load: async () => (await import('./start.js')).runStart,
    },
  });
}
