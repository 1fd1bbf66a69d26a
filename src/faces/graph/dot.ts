import { collectGraph } from './collect.js';

/**
 * A Graphviz (DOT) picture of the graph behind some lazy calls: one box per node, an arrow
 * from each input to the call that uses it, the calls asked for drawn bold. Render it with
 * `dot -Tsvg`, or paste it into any Graphviz viewer.
 */
export function toDot(...values: unknown[]): string {
  const { nodes, roots } = collectGraph(values);
  const lines = ['digraph spindle {', '  rankdir=LR;', '  node [shape=box];'];
  for (let i = 0; i < nodes.length; i++) {
    const style = roots.has(i) ? ', style=bold' : '';
    lines.push(`  n${nodes[i].call.id} [label=${quote(nodes[i].call.label)}${style}];`);
  }
  for (const node of nodes) {
    for (const dep of node.deps) lines.push(`  n${nodes[dep].call.id} -> n${node.call.id};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function quote(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&').replace(/\n/g, '\\n')}"`;
}
