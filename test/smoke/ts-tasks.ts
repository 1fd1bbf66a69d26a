// A TypeScript task module, for the runtimes that strip types themselves (Bun, Deno, Node 22.18+).
import { defineTasks } from 'spindle/tasks';

export const tsTasks = defineTasks(import.meta.url, {
  shout: (s: string): string => `${s.toUpperCase()}!`,
});
