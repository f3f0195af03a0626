/**
 * What the report commands share: the reports port (absent: a short answer, no job), the
 * rendering options of the workspace, and the period's months (for fit status lines).
 */
import { languageOf, type Lang } from '../i18n/index.js';
import type { ReportsApi } from '../reports/report-types.js';
import type { CommandContext } from './command-module.js';
import { PlatformRefusedError } from './command-types.js';

/** The reports, or the answer that they are not available here. */
export function reportsOf(ctx: Pick<CommandContext, 'deps'>): ReportsApi {
  if (!ctx.deps.reports) throw new PlatformRefusedError('Reports are not available on this installation yet.');
  return ctx.deps.reports;
}

/** How the workspace's answers are drawn: its time zone, and charts unless turned off. */
export function renderOptions(ctx: Pick<CommandContext, 'deps' | 'access'>): { timeZone: string; charts: boolean; lang: Lang } {
  return { timeZone: ctx.access.settings.timezone, charts: ctx.deps.charts !== false, lang: languageOf(ctx.access.req.user.languageCode) };
}
