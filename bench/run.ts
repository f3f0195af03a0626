/** `npm run bench`: every benchmark, each printing its figures beside a baseline from the same run. */
const parts = ['./pipeline.js', './keywords.js', './attribution.js', './reports.js', './campaigns.js', './reconcile.js', './whatsapp-client.js', './dashboard.js'];
const only = process.argv.slice(2);
for (const p of parts) {
  if (only.length > 0 && !only.some((o) => p.includes(o))) continue;
  const mod = (await import(p)) as { run: () => Promise<void> };
  await mod.run();
}
