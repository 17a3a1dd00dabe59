/**
 * Failed log-ins per key: after `limit` failures within `windowMs`, that key is locked for
 * `lockMs`, whoever tries.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit = 5,
    private readonly windowMs = 15 * 60_000,
    private readonly lockMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until this key may try again, or 0. */
  lockedFor(key: string): number {
    const recent = this.recent(key);
    if (recent.length < this.limit) return 0;
    return Math.max(0, recent[recent.length - 1] + this.lockMs - this.now());
  }

  failed(key: string): void {
    this.failures.set(key, [...this.recent(key), this.now()]);
    // Guessing many names must not grow this without bound: keys whose failures aged out go.
    if (this.failures.size > 10_000)
      for (const n of [...this.failures.keys()]) if (!this.recent(n).length) this.failures.delete(n);
  }

  succeeded(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    return (this.failures.get(key) ?? []).filter((t) => t > since);
  }
}

/**
 * Password guessing slowed for people's accounts, the same for the dashboard and MQTT: 5 failures
 * in 15 min lock a name for 5 min, 20 from one address lock that address. A correct password
 * does not open a locked name early (that is what a guesser would try).
 */
export class LoginGuard {
  constructor(
    readonly names = new LoginThrottle(5),
    readonly addresses = new LoginThrottle(20),
  ) {}

  lockedFor(name: string, address: string | undefined): number {
    return Math.max(this.names.lockedFor(name), address ? this.addresses.lockedFor(address) : 0);
  }

  failed(name: string, address: string | undefined): void {
    this.names.failed(name);
    if (address) this.addresses.failed(address);
  }

  succeeded(name: string): void {
    this.names.succeeded(name);
  }
}
