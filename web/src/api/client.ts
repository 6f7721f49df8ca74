// REST access: Bearer token from localStorage, problem+json errors, 401 signs out.

const TOKEN_KEY = 'chat.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly title = '',
    /** Seconds the server asked to wait (Retry-After); 0 when it did not say. */
    readonly retryAfter = 0,
  ) {
    super(detail || title || `HTTP ${status}`);
  }
}

/** Told why, when the server said (an account suspended); else the session just ended. */
type Listener = (reason?: string) => void;
const unauthorized = new Set<Listener>();

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* private mode: the session lasts until reload */
  }
}

/** Registers a callback for "the server no longer accepts our token". */
export function onUnauthorized(fn: Listener): () => void {
  unauthorized.add(fn);
  return () => unauthorized.delete(fn);
}

export function signalUnauthorized(reason?: string): void {
  setToken(null);
  unauthorized.forEach((fn) => fn(reason));
}

/** The one wording of an account suspended while signed in (socket 4423, a token refused as account_suspended). */
export const SUSPENDED_TEXT = 'Your account has been suspended by an administrator.';

/** What a 401 says of why the session ended: a suspension has its own word. */
export function unauthorizedReason(code: string): string | undefined {
  return code === 'account_suspended' ? SUSPENDED_TEXT : undefined;
}

async function toError(res: Response): Promise<ApiError> {
  let code = '';
  let detail = '';
  let title = res.statusText;
  try {
    const text = await res.text();
    try {
      const p = JSON.parse(text);
      code = String(p.code ?? '');
      detail = String(p.detail ?? p.message ?? '');
      title = String(p.title ?? title);
    } catch {
      detail = text.slice(0, 200);
    }
  } catch {
    /* no body */
  }
  return new ApiError(res.status, code, detail || title || `Request failed (${res.status})`, title, retryAfterOf(res.headers.get('Retry-After')));
}

/** Whole seconds from a Retry-After header; 0 when absent or a date. */
export function retryAfterOf(header: string | null): number {
  const n = Number(header);
  return header && Number.isFinite(n) && n > 0 ? Math.ceil(n) : 0;
}

/** The one wording of "slow down" (a 429, a rate_limited socket frame). */
export function tooManyText(seconds?: number): string {
  return seconds && seconds > 0 ? `Too many requests — try again in ${seconds} s` : 'Too many requests — try again in a moment';
}

export interface RequestOptions {
  /** A 401 from this request does not sign out (e.g. a wrong password at login). */
  noSignOut?: boolean;
  signal?: AbortSignal;
  /** Sends this token instead of the stored one (sign-out forgets it first). */
  token?: string;
}

/** The one wording of a request that got no answer at all. */
const UNREACHABLE = 'The server cannot be reached. Check your connection.';

export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = opts.token ?? getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload, signal: opts.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'network', UNREACHABLE);
  }
  if (!res.ok) {
    const err = await toError(res);
    if (res.status === 401 && !opts.noSignOut) signalUnauthorized(unauthorizedReason(err.code));
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A one-time ticket for opening one WebSocket (POST /ws/tickets). */
export async function socketTicket(): Promise<string> {
  const t = await request<{ ticket: string }>('POST', '/ws/tickets');
  return t.ticket;
}

/**
 * Forgets the token here at once (a sign-out must never leave the user
 * signed in on this device, even offline), then asks the server to end the
 * session — this device's, or with everywhere every device's — so the token
 * stops working for anyone who copied it. Rejects when the server could not
 * be told.
 */
export async function signOut(everywhere = false): Promise<void> {
  const token = getToken();
  setToken(null);
  if (!token) return;
  await request('POST', everywhere ? '/auth/logout-all' : '/auth/logout', undefined, { noSignOut: true, token });
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, undefined, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, body, opts),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, body),
  put: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('PUT', path, body, opts),
  del: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('DELETE', path, body, opts),
};

export interface Upload<T> {
  promise: Promise<T>;
  abort: () => void;
}

/** Multipart upload of one file as field `file`, reporting progress 0..1. */
export function upload<T>(path: string, file: Blob, filename: string, onProgress: (fraction: number) => void): Upload<T> {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<T>((resolve, reject) => {
    xhr.open('POST', path);
    const token = getToken();
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status === 401) signalUnauthorized();
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        try {
          resolve((xhr.responseText ? JSON.parse(xhr.responseText) : undefined) as T);
        } catch {
          resolve(undefined as T);
        }
        return;
      }
      // Worded as the reason alone: the caller says what failed (see uploadErrorText).
      let detail = `The server answered ${xhr.status}.`;
      let code = '';
      try {
        const p = JSON.parse(xhr.responseText);
        detail = p.detail || p.title || detail;
        code = p.code || '';
      } catch {
        /* not problem+json */
      }
      reject(new ApiError(xhr.status, code, detail, '', retryAfterOf(xhr.getResponseHeader('Retry-After'))));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', UNREACHABLE));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'Upload cancelled.'));
    const form = new FormData();
    form.append('file', file, filename);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError && e.status === 429) return tooManyText(e.retryAfter);
  if (e instanceof ApiError) return e.detail;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** What a failed upload says, worded once; null when the user cancelled it (nothing to say). */
export function uploadErrorText(e: unknown): string | null {
  if (e instanceof ApiError && e.code === 'aborted') return null;
  if (e instanceof ApiError && e.status === 429) return errorText(e);
  return `Upload failed: ${errorText(e)}`;
}

/** The list in a response: an array, or one under a usual key ({items: […]}). */
export function asArray<T>(v: unknown): T[] {
  if (Array.isArray(v)) return v as T[];
  if (v && typeof v === 'object') {
    for (const k of ['items', 'messages', 'files', 'members', 'rooms', 'data']) {
      const x = (v as Record<string, unknown>)[k];
      if (Array.isArray(x)) return x as T[];
    }
  }
  return [];
}
