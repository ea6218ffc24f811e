/**
 * The webview's side of the layout worker. The worker's code is bundled into the webview script as text and
 * started from a blob: URL, the one way a VS Code webview can run a worker (its CSP allows `worker-src blob:`).
 */
import workerSource from 'emp:layout-worker';
import type { Hierarchy } from './hierarchy.js';
import { BOX } from './hierarchy.js';
import type { ContainerLayout, WorkerReply, WorkerRequest } from './layoutProtocol.js';

export interface LayoutResult {
  layouts: Map<number, ContainerLayout>;
  ms: number;
  computed: number;
}

export class LayoutClient {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly known = new Set<string>();
  private readonly waiting = new Map<
    number,
    { resolve: (r: LayoutResult | undefined) => void; reject: (e: Error) => void }
  >();
  onProgress: (done: number, total: number) => void = () => {};

  constructor() {
    const url = URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }));
    this.worker = new Worker(url, { name: 'layout' });
    URL.revokeObjectURL(url);
    this.worker.onmessage = (e: MessageEvent<WorkerReply>) => this.receive(e.data);
    this.worker.onerror = (e) => {
      for (const w of this.waiting.values()) w.reject(new Error(`layout worker failed: ${e.message}`));
      this.waiting.clear();
    };
  }

  private send(msg: WorkerRequest): void {
    this.worker.postMessage(msg);
  }

  private receive(msg: WorkerReply): void {
    switch (msg.type) {
      case 'progress':
        if (msg.id === this.nextId - 1) this.onProgress(msg.done, msg.total);
        return;
      case 'layout':
        this.waiting.get(msg.id)?.resolve({
          layouts: new Map(msg.layouts.map((l) => [l.id, l])),
          ms: msg.ms,
          computed: msg.computed,
        });
        break;
      case 'cancelled':
        this.waiting.get(msg.id)?.resolve(undefined);
        break;
      case 'error':
        this.waiting.get(msg.id)?.reject(new Error(msg.message));
        break;
    }
    this.waiting.delete(msg.id);
  }

  /** Lays out the expanded containers in view; undefined when a newer request replaced this one. */
  layout(graphKey: string, hier: Hierarchy, expanded: ReadonlySet<number>): Promise<LayoutResult | undefined> {
    if (!this.known.has(graphKey)) {
      this.send({
        type: 'init',
        graphKey,
        sizes: hier.sizes,
        containers: hier.containerSpecs(),
        frame: { header: BOX.frameHeader, padding: BOX.framePadding },
      });
      this.known.add(graphKey);
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.send({ type: 'layout', id, graphKey, expanded: hier.expandedInView(expanded) });
    });
  }
}
