/**
 * Count the Lumino signal connections that are live, whichever way they
 * end: `disconnect`, or one of the bulk calls (`disconnectSender`,
 * `disconnectReceiver`, `disconnectAll`, `clearData`). For the fault suite's
 * leak check only: it patches `Signal` until `restore()`.
 */
import { Signal } from '@lumino/signaling';

interface IConnection {
  signal: Signal<any, any>;
  slot: unknown;
  thisArg: unknown;
}

export function trackConnections(): {
  live: () => number;
  restore: () => void;
} {
  let connections: IConnection[] = [];
  const proto = Signal.prototype;
  const saved = {
    connect: proto.connect,
    disconnect: proto.disconnect,
    disconnectSender: Signal.disconnectSender,
    disconnectReceiver: Signal.disconnectReceiver,
    disconnectAll: Signal.disconnectAll,
    clearData: Signal.clearData
  };
  const keep = (test: (c: IConnection) => boolean) => {
    connections = connections.filter(test);
  };
  const notFrom = (object: unknown) => (c: IConnection) =>
    c.signal.sender !== object;
  const notTo = (object: unknown) => (c: IConnection) =>
    c.thisArg !== object && c.slot !== object;
  proto.connect = function (this: Signal<any, any>, slot: any, thisArg?: any) {
    const made = saved.connect.call(this, slot, thisArg);
    if (made) {
      connections.push({ signal: this, slot, thisArg });
    }
    return made;
  };
  proto.disconnect = function (
    this: Signal<any, any>,
    slot: any,
    thisArg?: any
  ) {
    const gone = saved.disconnect.call(this, slot, thisArg);
    if (gone) {
      keep(
        c => !(c.signal === this && c.slot === slot && c.thisArg === thisArg)
      );
    }
    return gone;
  };
  Signal.disconnectSender = (sender: unknown) => {
    saved.disconnectSender(sender);
    keep(notFrom(sender));
  };
  Signal.disconnectReceiver = (receiver: unknown) => {
    saved.disconnectReceiver(receiver);
    keep(notTo(receiver));
  };
  Signal.disconnectAll = (object: unknown) => {
    saved.disconnectAll(object);
    keep(c => notFrom(object)(c) && notTo(object)(c));
  };
  Signal.clearData = (object: unknown) => {
    saved.clearData(object);
    keep(c => notFrom(object)(c) && notTo(object)(c));
  };
  return {
    live: () => connections.length,
    restore: () => {
      proto.connect = saved.connect;
      proto.disconnect = saved.disconnect;
      Object.assign(Signal, {
        disconnectSender: saved.disconnectSender,
        disconnectReceiver: saved.disconnectReceiver,
        disconnectAll: saved.disconnectAll,
        clearData: saved.clearData
      });
    }
  };
}
