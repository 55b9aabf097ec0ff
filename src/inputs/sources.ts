// Opens the input sources record was given (files read and checked, sockets listening) and
// merges them into one feed for the run loop, in the order the flags were given (at equal times
// the earlier flag's inputs go first). The manifest entries say what each source was.

import { mergeFeeds, NO_INPUTS, type InputFeed } from '../platform/run-loop.js';
import type { ManifestInput } from '../trace/manifest-file.js';
import { candumpFeed, readCandumpFile } from './candump-file.js';
import { listenCandumpTcp, listenEthernetUdp, type LiveSource, type Warn } from './live.js';

export interface OpenInputs {
  feed: InputFeed;
  /** the manifest's `inputs`: the specs with each file's sha256 and each socket's port */
  inputs: ManifestInput[];
  /** some source is live (a socket): the run must give the event loop turns */
  live: boolean;
  close(): Promise<void>;
}

export interface OpenOptions {
  frameBytesMax: number;
  warn: Warn;
  /** told once per socket source, when it listens (e.g. the port chosen for port 0) */
  onListen?: (input: ManifestInput) => void;
}

export async function openInputSources(specs: readonly ManifestInput[], options: OpenOptions): Promise<OpenInputs> {
  const feeds: InputFeed[] = [];
  const inputs: ManifestInput[] = [];
  const live: LiveSource[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(live.splice(0, live.length).map((s) => s.close()));
  };
  try {
    for (const spec of specs) {
      if (spec.kind === 'file') {
        const log = readCandumpFile(spec.file!, spec.bus!);
        feeds.push(candumpFeed(spec.source, log.frames));
        inputs.push({ ...spec, sha256: log.sha256 });
        continue;
      }
      const source = spec.kind === 'tcp'
        ? await listenCandumpTcp(spec, options.warn)
        : await listenEthernetUdp(spec, options.frameBytesMax, options.warn);
      live.push(source);
      feeds.push(source.feed);
      const entry = { ...spec, port: source.port };
      inputs.push(entry);
      options.onListen?.(entry);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { feed: feeds.length === 0 ? NO_INPUTS : mergeFeeds(feeds), inputs, live: live.length > 0, close };
}
