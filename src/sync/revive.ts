import { reviveBarrier } from './barrier.js';
import { reviveChannel } from './channel.js';
import { reviveLock } from './lock.js';
import { reviveSemaphore } from './semaphore.js';
import { WIRE_KIND, type Wire } from './wire.js';

export { WIRE_KIND };

/** A Lock, Semaphore, Barrier or Channel from its wire form (see sync/wire.ts). */
export function reviveSync(wire: Wire): unknown {
  switch (wire[WIRE_KIND]) {
    case 'lock':
      return reviveLock(wire);
    case 'semaphore':
      return reviveSemaphore(wire);
    case 'barrier':
      return reviveBarrier(wire);
    case 'channel':
      return reviveChannel(wire);
    default:
      return wire;
  }
}
