import { linkify } from './format';

/**
 * One message's text: plain, with http(s) links made clickable. A stand-in
 * for a richer body (Markdown): MessageRow renders whatever sits here.
 */
export function MessageText(props: { text: string }) {
  return (
    <>
      {linkify(props.text).map((p, i) =>
        p.href ? (
          <a key={i} href={p.href} target="_blank" rel="noopener noreferrer nofollow">
            {p.text}
          </a>
        ) : (
          <span key={i}>{p.text}</span>
        ),
      )}
    </>
  );
}
