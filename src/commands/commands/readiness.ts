/** `/readiness`: can measurement be trusted? Checks per workspace, bot and group with a fix each (see `src/optimize/readiness.ts`). */
import { onlyOptions, UsageError } from '../arguments.js';
import { defineCommand } from '../command-module.js';
import { PlatformRefusedError } from '../command-types.js';
import { renderReadiness } from '../render-optimize.js';
import { renderOptions, reportsOf } from '../report-commands.js';

export const readiness = defineCommand<{ problems: boolean }>({
  spec: { name: 'readiness', access: 'manager', usage: '/readiness [problems]', description: 'Is measurement set up? Checks with fixes', audited: true, report: true },
  parse(ctx) {
    reportsOf(ctx);
    onlyOptions(ctx.options, []);
    const words = ctx.positional.map((w) => w.toLowerCase());
    if (words.length > 1 || (words.length === 1 && words[0] !== 'problems')) throw new UsageError(readiness.spec.usage);
    return { problems: words.length === 1 };
  },
  async run(ctx, { problems }) {
    const reports = reportsOf(ctx);
    if (!reports.readiness) throw new PlatformRefusedError('Readiness checks are not available on this installation.');
    const r = await reports.readiness(ctx.req.workspace);
    return { answers: renderReadiness(r, { onlyProblems: problems, lang: renderOptions(ctx).lang }), detail: `worst ${r.worst}` };
  },
});
