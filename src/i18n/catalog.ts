/**
 * The bot's own words in English and simplified Chinese: /help, refusals, report titles and
 * table headers, /dashboard, hints, readiness, keyword lift, /alerts and digests. Group names, campaigns and keywords are never translated (they
 * are shown as written). `{name}` in a message is replaced by `vars.name`. Pure.
 */
import type { Lang } from './language.js';

const EN = {
  'help.title': 'What you can do here:',
  'help.periods': 'periods: 7d, 30d, 90d, or 2026-01-01..2026-01-31',
  'unknown-command': 'I do not know that command. /help lists what you can do.',
  'refusal.operator-only': 'This command is for the group’s admins and the workspace’s operators.',
  'refusal.manager-only': 'This command is for managers.',
  'refusal.member-group': 'Reports are answered only in a private chat with me or in the managers’ group.',
  'refusal.owner-only': 'This command is for owners, in a private chat with me.',
  'report.title': 'Attribution by {by} · {model} vs last touch',
  'report.period': 'Period: {period}',
  'report.conversions': 'Conversions: {n} (value {value}) · matched {rate}',
  'report.unattributed': 'Not attributed: {n} (value {value})',
  'report.low-confidence': ' · {n} matched by username only',
  'report.pending': 'Not reconciled yet: {n}',
  'report.note': 'Note: {note}',
  'report.empty': 'No credited conversions in this period.',
  'report.more': '… {n} more rows (use /export for all)',
  'report.col.conv': 'conv',
  'report.col.value': 'value',
  'report.col.last': 'last',
  'report.col.diff': 'Δ',
  'report.chart.title.value': 'Credited value by {by}',
  'report.chart.title.conversions': 'Credited conversions by {by}',
  'report.chart.subtitle': '{period} · {model} vs last touch · {n} conversions worth {value}, {rate} matched',
  'report.chart.last': 'last touch',
  'report.caption': 'Attribution by {by} · {period} · {model} vs last touch',
  'dim.group': 'group',
  'dim.campaign': 'campaign',
  'dim.keyword': 'keyword',
  'dim.link': 'link',
  'dim.platform': 'platform',
  'dim.referrer': 'referrer',
  'dashboard.open': 'Your dashboard: attribution, campaigns, funnel, cohorts and more, with a date range and a model switch.',
  'dashboard.button': 'Open the dashboard',
  'dashboard.browser-button': 'Open in a browser',
  'dashboard.link': 'Open your dashboard in a browser (this link works once, for 10 minutes): {url}',
  'dashboard.private-only': 'Send /dashboard in a private chat with me: the dashboard opens only there.',
  'dashboard.no-url': 'The dashboard needs PUBLIC_BASE_URL (an https address) to be set on the server.',
  'dashboard.rate-limited': 'Too many dashboard links asked for just now. Please wait a few minutes.',
  'dashboard.menu': 'Dashboard',
  'hints.title': 'Hints · {period} · {n} matched conversions',
  'hints.none': 'No hint: nothing crossed a rule’s threshold with enough evidence.',
  'hints.confidence': '   confidence {note}',
  'readiness.title': 'Readiness · {workspace}: {red} red, {amber} amber, {green} green',
  'lift.title': 'Keyword lift · {period}',
  'lift.method': 'Converted within {days} days of the first mention, vs matched controls (same join campaign, week and activity decile).',
  'lift.empty': 'No keyword has {n}+ people in both groups yet.',
  'lift.col.keyword': 'keyword',
  'lift.col.people': 'people',
  'lift.col.ctrl': 'ctrl',
  'lift.col.conv': 'conv',
  'lift.col.ctrl-conv': 'ctrl conv',
  'lift.col.lift': 'lift',
  'alerts.status': 'Alerts are {state}: checked daily at {at} ({tz}) and posted to {where}. /alerts {toggle} to change.',
  'alerts.turned-on': 'Alerts on: checked daily at {at} ({tz}); each says what was expected and what came, posted to {where}.',
  'alerts.turned-off': 'Alerts off. /alerts on starts them again.',
  'alerts.where': 'the managers’ chat',
  'alerts.where-none': 'the managers’ chat (none is configured yet: add managersChats to the workspace configuration)',
  'state.on': 'on',
  'state.off': 'off',
  'digest.daily': 'Daily digest · send /digest off to stop',
  'digest.weekly': 'Weekly digest · send /digest off to stop',
} as const;

export type MessageKey = keyof typeof EN;

const ZH: Record<MessageKey, string> = {
  'help.title': '你在这里可以使用：',
  'help.periods': '时间段：7d、30d、90d，或 2026-01-01..2026-01-31',
  'unknown-command': '我不认识这个命令。发送 /help 查看可用命令。',
  'refusal.operator-only': '此命令仅限群管理员和工作区运营人员使用。',
  'refusal.manager-only': '没有权限：此命令仅限经理使用。',
  'refusal.member-group': '报表只在与我的私聊或经理群中回答。',
  'refusal.owner-only': '此命令仅限所有者在与我的私聊中使用。',
  'report.title': '按{by}归因 · {model} 对比最后点击',
  'report.period': '时间段：{period}',
  'report.conversions': '转化：{n}（金额 {value}）· 匹配率 {rate}',
  'report.unattributed': '未归因：{n}（金额 {value}）',
  'report.low-confidence': ' · {n} 个仅按用户名匹配',
  'report.pending': '尚未对账：{n}',
  'report.note': '注：{note}',
  'report.empty': '此时间段内没有归因的转化。',
  'report.more': '… 另有 {n} 行（用 /export 导出全部）',
  'report.col.conv': '转化',
  'report.col.value': '金额',
  'report.col.last': '最后点击',
  'report.col.diff': '差值',
  'report.chart.title.value': '按{by}归因的金额',
  'report.chart.title.conversions': '按{by}归因的转化',
  'report.chart.subtitle': '{period} · {model} 对比最后点击 · {n} 个转化，金额 {value}，匹配率 {rate}',
  'report.chart.last': '最后点击',
  'report.caption': '按{by}归因 · {period} · {model} 对比最后点击',
  'dim.group': '群组',
  'dim.campaign': '活动',
  'dim.keyword': '关键词',
  'dim.link': '链接',
  'dim.platform': '平台',
  'dim.referrer': '推荐人',
  'dashboard.open': '你的数据看板：归因、活动、漏斗、留存等，可选时间段和归因模型。',
  'dashboard.button': '打开数据看板',
  'dashboard.browser-button': '在浏览器中打开',
  'dashboard.link': '在浏览器中打开你的数据看板（链接仅可使用一次，10 分钟内有效）：{url}',
  'dashboard.private-only': '请在与我的私聊中发送 /dashboard：数据看板只在私聊中打开。',
  'dashboard.no-url': '数据看板需要服务器设置 PUBLIC_BASE_URL（https 地址）。',
  'dashboard.rate-limited': '刚才申请的看板链接太多了，请过几分钟再试。',
  'dashboard.menu': '数据看板',
  'hints.title': '提示 · {period} · {n} 个已匹配的转化',
  'hints.none': '暂无提示：没有哪条规则在证据充足的情况下越过阈值。',
  'hints.confidence': '   置信度 {note}',
  'readiness.title': '就绪检查 · {workspace}：红 {red} 项，橙 {amber} 项，绿 {green} 项',
  'lift.title': '关键词提升 · {period}',
  'lift.method': '首次提及后 {days} 天内的转化，对比匹配的对照组（同一入群活动、同一周、同一活跃度十分位）。',
  'lift.empty': '还没有关键词在两组中都达到 {n} 人以上。',
  'lift.col.keyword': '关键词',
  'lift.col.people': '人数',
  'lift.col.ctrl': '对照',
  'lift.col.conv': '转化率',
  'lift.col.ctrl-conv': '对照转化率',
  'lift.col.lift': '提升',
  'alerts.status': '预警{state}：每天 {at}（{tz}）检查，发到{where}。发送 /alerts {toggle} 更改。',
  'alerts.turned-on': '预警已开启：每天 {at}（{tz}）检查，每条都写明预期和实际的数字，发到{where}。',
  'alerts.turned-off': '预警已关闭。发送 /alerts on 重新开启。',
  'alerts.where': '经理群',
  'alerts.where-none': '经理群（尚未配置：请在工作区配置中添加 managersChats）',
  'state.on': '已开启',
  'state.off': '已关闭',
  'digest.daily': '每日摘要 · 发送 /digest off 停止',
  'digest.weekly': '每周摘要 · 发送 /digest off 停止',
};

/** Chinese descriptions of the commands (/help, command menus); English ones are the specs'. */
const COMMAND_DESCRIPTIONS_ZH: Record<string, string> = {
  help: '我能为你做什么',
  start: '开始',
  forgetme: '删除你的数据（需确认码）',
  track: '监测关键词',
  untrack: '停止监测关键词',
  keywords: '正在监测的关键词',
  link: '创建可追踪的短链接',
  invite: '创建活动邀请链接',
  invites: '邀请链接列表',
  revoke: '撤销邀请链接',
  groupstats: '群组统计',
  report: '归因报表（对比最后点击）',
  models: '各归因模型并排对比',
  funnel: '漏斗：入群 → 互动 → 点击 → 转化',
  journey: '某位成员的旅程',
  export: '导出 CSV',
  digest: '定期摘要',
  refit: '重新拟合数据驱动模型',
  grant: '授予角色',
  ungrant: '撤销角色',
  dashboard: '打开数据看板',
};

const CATALOG: Record<Lang, Record<MessageKey, string>> = { en: EN, zh: ZH };

/** The message `key` in `lang`, with `{name}` replaced by `vars.name`. */
export function t(lang: Lang, key: MessageKey, vars: Record<string, string | number> = {}): string {
  return CATALOG[lang][key].replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

/** A command's description in `lang` (`fallback`, the spec's English one, when there is no translation). */
export function commandDescription(lang: Lang, name: string, fallback: string): string {
  return lang === 'zh' ? (COMMAND_DESCRIPTIONS_ZH[name] ?? fallback) : fallback;
}

/** A report dimension's name in `lang` (unknown ones as they are). */
export function dimensionName(lang: Lang, by: string): string {
  const key = `dim.${by}` as MessageKey;
  return key in EN ? t(lang, key) : by;
}
