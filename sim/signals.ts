// What a command leaves behind when Ctrl-C, kill or an exit ends it early: nothing. Temporary files
// and folders are registered here while they exist, and removed before the signal ends the command
// as it would have without us (status 130 for Ctrl-C in a shell).

/** Removals still owed: a temporary file being written, a scenario piped in saved to a folder. */
const owed = new Set<() => void>();
const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let listening = false;
/** Once a command writes its outputs, the listeners stay until a signal comes (see holdSignals). */
let held = false;

function settle(): void {
  for (const remove of [...owed]) {
    owed.delete(remove);
    try {
      remove();
    } catch {
      // Already gone, or never made: nothing is left of it either way.
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  settle();
  stopListening();
  // A command with its own way of stopping (a listener of its own, as explore's) is left to it.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function listen(): void {
  if (listening) return;
  listening = true;
  for (const s of ENDING_SIGNALS) process.on(s, onSignal);
}

function stopListening(): void {
  if (!listening) return;
  listening = false;
  for (const s of ENDING_SIGNALS) process.off(s, onSignal);
}

process.on('exit', settle);

/**
 * `remove` runs if a signal or an exit ends the command before the returned function is called
 * (once the thing is gone or kept). While something is owed, a signal is answered by removing it
 * first; with nothing owed and signals not held, a signal ends the command at once, as by default.
 */
export function removeOnEnd(remove: () => void): () => void {
  owed.add(remove);
  listen();
  return () => {
    owed.delete(remove);
    if (owed.size === 0 && !held) stopListening();
  };
}

/**
 * From an output's first write on, Ctrl-C (or kill) does not end the command mid-write: a write is
 * synchronous, so the signal is handled once it is done (the file whole, or its temporary file
 * removed), and then ends the command. The listeners stay: a signal read after the last write
 * must still end the command, not be lost. Only from here on: a long synchronous run before it
 * would otherwise not stop at Ctrl-C until its end.
 */
export function holdSignals(): void {
  held = true;
  listen();
}
