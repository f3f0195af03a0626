/**
 * A small `ReportsApi` with fixed figures (Chinese group names included), recording what
 * it was asked: tests of the command surface check the arguments commands pass and what
 * they render, independently of the report computations.
 */
import type { ReportsApi } from '../../src/reports/report-types.js';

export const REPORT_MARKER = '团购群 Deals';

export interface FakeReports extends ReportsApi {
  calls: Array<{ method: string; workspace: string; options: unknown }>;
}

export function fakeReports(): FakeReports {
  const calls: FakeReports['calls'] = [];
  const totals = { conversions: 42, value: 12_300, matched: 37, unattributed: { conversions: 5, value: 900 }, matchRate: 37 / 42, lowConfidence: 2 };
  return {
    calls,
    async attribution(workspace, options) {
      calls.push({ method: 'attribution', workspace, options });
      return {
        workspace,
        period: options.period,
        by: options.by,
        model: options.model,
        rows: [
          { key: '-1001234567890', label: REPORT_MARKER, credited: { conversions: 20.5, value: 6_000 }, lastTouch: { conversions: 12, value: 4_000 }, difference: { conversions: 8.5, value: 2_000 } },
          { key: '-1005550001111', label: '品牌粉丝群 v2.0', credited: { conversions: 16.5, value: 5_400 }, lastTouch: { conversions: 25, value: 7_400 }, difference: { conversions: -8.5, value: -2_000 } },
        ],
        totals,
        currencies: ['CNY'],
      };
    },
    async compareModels(workspace, options) {
      calls.push({ method: 'compareModels', workspace, options });
      const models = ['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay', 'markov', 'shapley'];
      return {
        workspace,
        period: options.period,
        by: options.by,
        models,
        rows: [{ key: '-1001234567890', label: REPORT_MARKER, byModel: Object.fromEntries(models.map((m, i) => [m, { conversions: 10 + i, value: 1000 * i }])) }],
        totals,
      };
    },
    async funnel(workspace, options) {
      calls.push({ method: 'funnel', workspace, options });
      return {
        workspace,
        period: options.period,
        by: options.by,
        rows: [{ key: '-1001234567890', label: REPORT_MARKER, joined: 120, engaged: 64, clicked: 20, converted: 6, engagedRate: 64 / 120, clickedRate: 20 / 120, convertedRate: 6 / 120, medianDaysToConvert: 4.5, value: 1_794 }],
      };
    },
    async groupStats(workspace, options) {
      calls.push({ method: 'groupStats', workspace, options });
      return {
        workspace,
        period: options.period,
        ...(options.chatId !== undefined ? { chatId: options.chatId } : {}),
        joinsByCampaign: [
          { campaign: 'spring', joins: 30, leaves: 3 },
          { campaign: null, joins: 12, leaves: 5 },
        ],
        activeMembers: 77,
        days: [{ day: '2026-03-01', messages: 310, keywordHits: 41, joins: 42, leaves: 8 }],
        topKeywords: [{ keyword: '发货', count: 25 }],
      };
    },
    async journey(workspace, member) {
      calls.push({ method: 'journey', workspace, options: member });
      if (member !== '@alice_shop') return null;
      return {
        workspace,
        profileId: 'p_alice',
        usernames: ['alice_shop'],
        firstSeenAt: '2026-03-01T02:00:00.000Z',
        touches: [
          { at: '2026-03-01T02:00:00.000Z', kind: 'join', platform: 'telegram', chatId: '-1001234567890', chatTitle: REPORT_MARKER, campaign: 'spring' },
          { at: '2026-03-02T02:00:00.000Z', kind: 'message', platform: 'telegram', chatId: '-1001234567890', chatTitle: REPORT_MARKER, keywords: ['发货'] },
        ],
        conversions: [{ id: 'o-1', at: '2026-03-05T02:00:00.000Z', value: 299, currency: 'CNY', rule: 'tg_id' }],
      };
    },
    async exportCredits(workspace, options) {
      calls.push({ method: 'exportCredits', workspace, options });
      return '\ufeffconversion_id,touch_id,model,credit\no-1,t1,linear,0.5\n';
    },
  };
}
