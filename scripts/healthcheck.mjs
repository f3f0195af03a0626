// Container health check (Dockerfile HEALTHCHECK): exits 0 when /healthz answers 200 on PORT
// (the http role) or HEALTH_PORT (roles without the HTTP server serve /healthz there).
const ports = [...new Set([process.env.HEALTH_PORT, process.env.PORT || '8080'].filter(Boolean))];
const probe = (port) =>
  fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3_000) }).then((r) => {
    if (!r.ok) throw new Error(`status ${r.status}`);
  });
try {
  await Promise.any(ports.map(probe));
  process.exit(0);
} catch {
  console.error(`no /healthz answer on port ${ports.join(' or ')}`);
  process.exit(1);
}
