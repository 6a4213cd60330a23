// Writing a trace document to a file in pieces, for runs too long to hold as one string: the
// events a run streams are spooled beside the output as they happen, and the document is laid out
// exactly as serializeTraceDocument would write it. Node only (the page's bundle never needs it).

import { closeSync, constants, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { layout, type TraceDocument } from './json.ts';

/** Where a document's pieces go: a file being written whole (sim/cli/output.ts), or anything like it. */
export interface ChunkSink {
  write(chunk: string | Uint8Array): void;
}

/**
 * The trace's events as they happen, spooled to a file beside the output in the document's own
 * layout (one event a line), so that a run of any length is saved without being held: pass
 * `add` as the run's trace sink, then `writeTraceDocument(sink, doc, spool)`.
 */
export class TraceSpool {
  readonly path: string;
  private readonly out: Buffered;
  private readonly fd: number;
  count = 0;

  constructor(beside: string) {
    this.path = temporaryBeside(beside, `events-${process.pid}`);
    // Nameless: a run stopped by Ctrl-C (the run is synchronous: no handler runs) or killed
    // leaves no spool beside the output, however long it grew. Made without a name where the
    // system can; else named, and its name removed at once (a kill between the two leaves it).
    const nameless = openNameless(dirname(beside));
    if (nameless !== null) {
      this.fd = nameless;
    } else {
      this.fd = openSync(this.path, 'w+');
      try {
        unlinkSync(this.path);
      } catch {
        // Where a file that is open cannot be removed, dispose() removes it.
      }
    }
    this.out = new Buffered({
      write: (chunk) => {
        if (typeof chunk === 'string') writeSync(this.fd, chunk);
        else writeSync(this.fd, chunk);
      },
    });
  }

  readonly add = (json: string): void => {
    this.out.write(this.count === 0 ? `    ${json}` : `,\n    ${json}`);
    this.count++;
  };

  /** Hands the spooled events to `sink`, a megabyte at a time. */
  copyTo(sink: ChunkSink): void {
    this.out.flush();
    const chunk = Buffer.alloc(1 << 20);
    for (let at = 0; ; ) {
      const n = readSync(this.fd, chunk, 0, chunk.length, at);
      if (n === 0) return;
      sink.write(chunk.subarray(0, n));
      at += n;
    }
  }

  dispose(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Closed already.
    }
    rmSync(this.path, { force: true });
  }
}

/**
 * A temporary file's path in `target`'s folder, named after it (`.name.tag.tmp`, hidden), but for
 * its first 40 characters only: a name of the longest a file system allows is still written.
 */
export function temporaryBeside(target: string, tag: string): string {
  const name = [...basename(target)].slice(0, 40).join('');
  return join(dirname(target), `.${name}.${tag}.tmp`);
}

/**
 * Linux's O_TMPFILE, less the O_DIRECTORY it goes with (which Node's constants give). A kernel or
 * file system without it opens the folder for writing, which fails (EISDIR): the named way then.
 */
const TMPFILE = 0o20000000;

/**
 * A file for reading and writing in `dir` that never has a name (Linux's O_TMPFILE), so that no
 * moment exists at which a kill leaves it behind; null where the system or the file system has
 * no such file.
 */
function openNameless(dir: string): number | null {
  const { O_DIRECTORY, O_RDWR } = constants;
  if (process.platform !== 'linux' || O_DIRECTORY === undefined) return null;
  try {
    return openSync(dir, O_RDWR | O_DIRECTORY | TMPFILE, 0o600);
  } catch {
    return null;
  }
}

/** Text gathered into pieces of about a megabyte before it goes to the sink. */
class Buffered {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly sink: ChunkSink) {}

  readonly write = (text: string): void => {
    this.parts.push(text);
    this.size += text.length;
    if (this.size > 1 << 20) this.flush();
  };

  flush(): void {
    if (this.parts.length > 0) this.sink.write(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

/**
 * Writes the document exactly as serializeTraceDocument would, in pieces, to `sink` (a file written
 * whole: see sim/cli/output.ts). The events come from `spool` when the run streamed them there.
 */
export function writeTraceDocument(sink: ChunkSink, doc: TraceDocument, spool?: TraceSpool): void {
  const buffer = new Buffered(sink);
  const out = buffer.write;
  if (spool === undefined) layout(out, doc, '', 0);
  else {
    out('{\n');
    Object.entries(doc).forEach(([k, v], i) => {
      out(`${i === 0 ? '' : ',\n'}  ${JSON.stringify(k)}: `);
      if (k !== 'events') layout(out, v, '  ', 1);
      else if (spool.count === 0) out('[]');
      else {
        out('[\n');
        buffer.flush();
        spool.copyTo(sink);
        out('\n  ]');
      }
    });
    out('\n}');
  }
  out('\n');
  buffer.flush();
}
