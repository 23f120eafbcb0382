/** A section field, "*Label*\nvalue" in Slack's two-column grid, as one indented "Label: value" line. */
function field(text: string): string {
  const [first = '', ...rest] = text.split('\n');
  const label = /^\*[^*\n]+\*$/.test(first) && rest.length > 0;
  return label ? `  ${first}: ${rest.join(' ')}` : `  ${text.replace(/\n/g, '\n  ')}`;
}

/**
 * Renders Slack Block Kit as terminal text, so the CLI shows what Slack would: buttons as [Label];
 * with `payloads`, their values too ([Label value=...]).
 */
export function renderBlocks(blocks: unknown[] | undefined, fallback = '', payloads = false): string {
  if (!blocks || blocks.length === 0) return fallback;
  const lines: string[] = [];
  for (const raw of blocks) {
    const b = raw as Record<string, any>;
    switch (b.type) {
      case 'header':
        lines.push(`== ${b.text?.text ?? ''} ==`);
        break;
      case 'section':
        if (b.text?.text) lines.push(String(b.text.text));
        for (const f of b.fields ?? []) lines.push(field(String(f.text ?? '')));
        break;
      case 'context':
        lines.push((b.elements ?? []).map((e: any) => e.text ?? e.alt_text ?? '').join('  '));
        break;
      case 'divider':
        lines.push('----');
        break;
      case 'actions':
        lines.push(
          (b.elements ?? [])
            .map(
              (e: any) => `[${e.text?.text ?? e.action_id}${payloads && e.value ? ` value=${e.value}` : ''}]`,
            )
            .join(' '),
        );
        break;
      case 'image':
        lines.push(`(image: ${b.alt_text ?? ''})`);
        break;
      default:
        break;
    }
  }
  return lines.join('\n');
}
