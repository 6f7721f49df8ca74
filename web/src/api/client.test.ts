import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, errorText, getToken, onUnauthorized, setToken, signOut, socketTicket, SUSPENDED_TEXT, upload, uploadErrorText } from './client';
import { MemoryStorage } from '../test/fakes';

function respond(status: number, body: unknown, type = 'application/json') {
  return vi.fn(async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'Content-Type': type } }));
}

describe('api client', () => {
  beforeEach(() => {
    vi.stubGlobal('localStorage', new MemoryStorage());
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('sends the stored token as a Bearer header and JSON bodies', async () => {
    setToken('tok');
    const f = respond(201, { id: 1 });
    vi.stubGlobal('fetch', f);
    await expect(api.post('/rooms', { name: 'x' })).resolves.toEqual({ id: 1 });
    const [path, init] = f.mock.calls[0] as unknown as [string, RequestInit];
    expect(path).toBe('/rooms');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    expect(init.body).toBe('{"name":"x"}');
  });

  it('signs out on a 401 and says when the account was suspended', async () => {
    setToken('tok');
    const reasons: (string | undefined)[] = [];
    const off = onUnauthorized((why) => reasons.push(why));
    vi.stubGlobal('fetch', respond(401, { status: 401, code: 'account_suspended', detail: 'this account is suspended' }, 'application/problem+json'));
    await expect(api.get('/users/me')).rejects.toMatchObject({ status: 401, code: 'account_suspended' });
    vi.stubGlobal('fetch', respond(401, { status: 401, code: 'session_ended', detail: 'ended' }, 'application/problem+json'));
    await expect(api.get('/users/me')).rejects.toMatchObject({ status: 401 });
    off();
    expect(reasons).toEqual([SUSPENDED_TEXT, undefined]);
    expect(getToken()).toBeNull();
  });

  it("turns problem+json into an ApiError carrying the server's detail and code", async () => {
    vi.stubGlobal('fetch', respond(409, { title: 'Conflict', status: 409, detail: 'username is taken', code: 'username_taken' }, 'application/problem+json'));
    const err = await api.post('/auth/register', {}).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, code: 'username_taken', detail: 'username is taken', message: 'username is taken' });
  });

  it('words a 429 with its Retry-After, not as a generic failure', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(JSON.stringify({ status: 429, detail: 'too many messages', code: 'rate_limited' }), { status: 429, headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '7' } })),
    );
    const err = await api.post('/rooms/1/messages', { content: 'x' }).catch((e) => e);
    expect(err).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 7 });
    expect(errorText(err)).toBe('Too many requests — try again in 7 s');
    expect(errorText(new ApiError(429, 'rate_limited', 'x'))).toBe('Too many requests — try again in a moment');
  });

  it('a 401 clears the token and signs out, unless asked not to (login)', async () => {
    setToken('old');
    const signedOut = vi.fn();
    const off = onUnauthorized(signedOut);
    vi.stubGlobal('fetch', respond(401, { detail: 'wrong username or password' }));
    await api.post('/auth/login', {}, { noSignOut: true }).catch(() => {});
    expect(signedOut).not.toHaveBeenCalled();
    expect(getToken()).toBe('old');
    await api.get('/users/me').catch(() => {});
    expect(signedOut).toHaveBeenCalledTimes(1);
    expect(getToken()).toBeNull();
    off();
  });

  it('reports an unreachable server plainly', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        throw new TypeError('Failed to fetch');
      }),
    );
    await expect(api.get('/rooms')).rejects.toMatchObject({ status: 0, code: 'network' });
  });

  it('sign-out forgets the token at once and ends the session on the server with it', async () => {
    setToken('tok');
    const signedOut = vi.fn();
    const off = onUnauthorized(signedOut);
    const f = vi.fn(async () => {
      expect(getToken()).toBeNull(); // already forgotten while the request runs
      return new Response(null, { status: 204 });
    });
    vi.stubGlobal('fetch', f);
    await signOut();
    const [path, init] = f.mock.calls[0] as unknown as [string, RequestInit];
    expect(path).toBe('/auth/logout');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    setToken('tok2');
    await signOut(true);
    expect((f.mock.calls[1] as unknown as [string])[0]).toBe('/auth/logout-all');
    expect(signedOut).not.toHaveBeenCalled();
    off();
  });

  it('sign-out while offline still signs out here', async () => {
    setToken('tok');
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        throw new TypeError('Failed to fetch');
      }),
    );
    await expect(signOut()).rejects.toMatchObject({ code: 'network' });
    expect(getToken()).toBeNull();
  });

  it('fetches a one-time socket ticket with the token in a header', async () => {
    setToken('tok');
    const f = respond(201, { ticket: 'T1', expires_in: 30 });
    vi.stubGlobal('fetch', f);
    await expect(socketTicket()).resolves.toBe('T1');
    const [path, init] = f.mock.calls[0] as unknown as [string, RequestInit];
    expect(path).toBe('/ws/tickets');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
  });
});

/** Just enough of XMLHttpRequest for upload(): the test plays the network. */
class FakeXHR {
  static last: FakeXHR;
  upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = { onprogress: null };
  status = 0;
  responseText = '';
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  open() {}
  setRequestHeader() {}
  getResponseHeader() {
    return null;
  }
  send() {
    FakeXHR.last = this;
  }
  abort() {
    this.onabort?.();
  }
  answer(status: number, body: string) {
    this.status = status;
    this.responseText = body;
    this.onload?.();
  }
}

describe('upload errors', () => {
  beforeEach(() => {
    vi.stubGlobal('localStorage', new MemoryStorage());
    vi.stubGlobal('XMLHttpRequest', FakeXHR);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  const failed = async (play: (x: FakeXHR) => void) => {
    const job = upload('/rooms/1/files', new Blob(['x']), 'x.txt', () => {});
    play(FakeXHR.last);
    return uploadErrorText(await job.promise.catch((e) => e));
  };

  it('says "Upload failed" once, whatever went wrong', async () => {
    expect(await failed((x) => x.onerror?.())).toBe('Upload failed: The server cannot be reached. Check your connection.');
    expect(await failed((x) => x.answer(413, '{"detail":"the file is larger than 25 MB"}'))).toBe('Upload failed: the file is larger than 25 MB');
    expect(await failed((x) => x.answer(502, '<html>bad gateway</html>'))).toBe('Upload failed: The server answered 502.');
  });

  it('words a 429 as every other "slow down", and says nothing for a cancel', async () => {
    expect(await failed((x) => x.answer(429, '{"code":"rate_limited","detail":"too many uploads"}'))).toBe('Too many requests — try again in a moment');
    expect(await failed((x) => x.abort())).toBeNull();
  });
});
