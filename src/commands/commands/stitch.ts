/** `/stitch [period]`: how far people are joined across platforms and to the shop (stitch rate, `src/identity/stitch-rate.ts`). */
import { formatStitchRates, stitchRates } from '../../identity/stitch-rate.js';
import { defineCommand, text } from '../command-module.js';

export const stitch = defineCommand({
  spec: { name: 'stitch', access: 'manager', usage: '/stitch', description: 'Stitch rate: people joined across platforms', audited: true },
  async run(ctx) {
    const rates = await stitchRates(ctx.store, ctx.req.workspace);
    return { answers: [text(`Stitch rate (members with more than one platform or a shop id; conversions matched)\n${formatStitchRates(rates)}`)] };
  },
});
