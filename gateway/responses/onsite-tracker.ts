interface Pending {
  /** command id → box still to answer it */
  left: Map<string, string>;
  /** neighbour boxes that refused */
  trouble: string[];
}

/**
 * On-site commands the gateway is waiting on, indexed both ways so a result and a deadline cost
 * O(commands of that response), however many cases are open.
 */
export class OnsiteTracker {
  private readonly byCommand = new Map<string, string>();
  private readonly byResponse = new Map<string, Pending>();

  expect(responseId: string, commands: Array<{ id: string; deviceId: string }>): void {
    const p = this.byResponse.get(responseId) ?? { left: new Map(), trouble: [] };
    for (const c of commands) {
      p.left.set(c.id, c.deviceId);
      this.byCommand.set(c.id, responseId);
    }
    this.byResponse.set(responseId, p);
  }

  /** A box answered: the response the command belonged to, or undefined if nobody waits for it. */
  answered(commandId: string): string | undefined {
    const responseId = this.byCommand.get(commandId);
    if (responseId === undefined) return undefined;
    this.byCommand.delete(commandId);
    this.byResponse.get(responseId)?.left.delete(commandId);
    return responseId;
  }

  trouble(responseId: string, note: string): void {
    this.byResponse.get(responseId)?.trouble.push(note);
  }

  /** Boxes that have not answered every command yet. */
  silent(responseId: string): string[] {
    return [...new Set(this.byResponse.get(responseId)?.left.values() ?? [])];
  }

  isTracked(responseId: string): boolean {
    return this.byResponse.has(responseId);
  }

  /** Stop waiting; returns who stayed silent and what went wrong. */
  forget(responseId: string): { silent: string[]; trouble: string[] } {
    const p = this.byResponse.get(responseId);
    this.byResponse.delete(responseId);
    for (const id of p?.left.keys() ?? []) this.byCommand.delete(id);
    return { silent: [...new Set(p?.left.values() ?? [])], trouble: p?.trouble ?? [] };
  }
}
