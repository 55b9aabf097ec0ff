// A field path as users read it in messages: `vms[2].program.routes[0].canId`. One spelling for
// zod's issues (load.ts) and for the cross-field checks' "already used by …" (references.ts).

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}
