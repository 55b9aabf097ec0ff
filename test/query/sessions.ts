// Query sessions a test file opens, closed after each test (call at the file's top level).
import { afterEach } from 'vitest';
import { QuerySession } from '../../src/query/index.js';

export function sessionOpener(): (dir: string, options?: Parameters<typeof QuerySession.open>[1]) => Promise<QuerySession> {
  const sessions: QuerySession[] = [];
  afterEach(() => {
    for (const s of sessions.splice(0)) s.close();
  });
  return async (dir, options = {}) => {
    const session = await QuerySession.open(dir, options);
    sessions.push(session);
    return session;
  };
}
