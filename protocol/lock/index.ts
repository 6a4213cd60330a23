// The lock store (PROTOCOL.md §2): knobs, messages, and the server and client machines.

export * from './client.ts';
export * from './knobs.ts';
export * from './messages.ts';
export * from './server.ts';
