/** Languages (simplified Chinese, English) and the bot's own words in each. */
export { formatDay, formatMoney, formatNumber, formatPercent, languageOf, LANGUAGES, localeOf, type Lang } from './language.js';
export { commandDescription, dimensionName, modelShortName, t, type MessageKey } from './catalog.js';
