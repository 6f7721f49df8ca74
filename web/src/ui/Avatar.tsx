import { useState } from 'react';
import { avatarColour, initials } from './format';

export function Avatar(props: { name: string; id: number | string; url?: string | null; size?: number }) {
  const size = props.size ?? 36;
  const [broken, setBroken] = useState<string | null>(null);
  const style = { width: size, height: size, fontSize: Math.round(size * 0.4) };
  if (props.url && broken !== props.url) {
    return <img className="avatar" src={props.url} alt="" style={style} onError={() => setBroken(props.url!)} />;
  }
  return (
    <span className="avatar avatar-initials" aria-hidden="true" style={{ ...style, background: avatarColour(props.id) }}>
      {initials(props.name)}
    </span>
  );
}
