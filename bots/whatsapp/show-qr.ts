/**
 * Shows a pairing QR code to the operator in the terminal (standard error, so the JSON
 * logs on standard output stay machine-readable).
 *
 * When the `qrcode-terminal` package is installed it draws the code; otherwise the code's
 * text is printed with the commands that draw it (`qrencode` is a Debian package). The
 * text is a short-lived pairing token (WhatsApp replaces it about every 20 s); it is not
 * a secret of the account, but it is not logged either.
 */

type Draw = (text: string) => Promise<string>;

let drawer: Promise<Draw | null> | undefined;

/** `qrcode-terminal`'s drawing function, when the package can be loaded. */
function loadDrawer(): Promise<Draw | null> {
  drawer ??= (async () => {
    try {
      const name = 'qrcode-terminal';
      const mod = (await import(name)) as { default?: { generate?: unknown }; generate?: unknown };
      const generate = (mod.default?.generate ?? mod.generate) as ((text: string, opts: { small: boolean }, cb: (out: string) => void) => void) | undefined;
      if (typeof generate !== 'function') return null;
      return (text) => new Promise<string>((resolve) => generate(text, { small: true }, resolve));
    } catch {
      return null;
    }
  })();
  return drawer;
}

export interface ShowQrOptions {
  accountId: string;
  workspace: string;
  /** The session folder, named in the instructions. */
  sessionDir: string;
  out?: { write(chunk: string): unknown };
  /** Draws a QR code; default `qrcode-terminal` when installed (tests pass their own or null). */
  draw?: Draw | null;
}

/** The text shown for one QR code (exported for tests). */
export async function qrMessage(qr: string, o: ShowQrOptions): Promise<string> {
  const draw = o.draw === undefined ? await loadDrawer() : o.draw;
  const picture = draw ? await draw(qr).catch(() => null) : null;
  const lines = [
    '',
    `WhatsApp account "${o.accountId}" (workspace ${o.workspace}) is not paired yet.`,
    'On the phone of that account: WhatsApp → Settings → Linked devices → Link a device, then scan:',
    '',
  ];
  if (picture) lines.push(picture);
  else {
    lines.push(
      `  ${qr}`,
      '',
      'This is the QR code as text. To draw it here, install qrcode-terminal (npm install qrcode-terminal) and restart,',
      "or draw it yourself: qrencode -t ansiutf8 '<the text above>'   (Debian: apt-get install qrencode).",
    );
  }
  lines.push(`The code changes about every 20 seconds; a new one is printed each time. Once scanned, the session is kept in ${o.sessionDir} and no QR is needed again.`, '');
  return lines.join('\n');
}

/** Prints a QR code for pairing. */
export async function showQr(qr: string, o: ShowQrOptions): Promise<void> {
  (o.out ?? process.stderr).write(await qrMessage(qr, o));
}
