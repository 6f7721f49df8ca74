import { memo } from 'react';
import { fullTime, timeOfDay } from './format';

/**
 * When one message was sent: shown beside it on hover or focus, read out
 * with it, the date and time in full in its title. Formatted once per
 * message (memo on the time).
 */
export const MessageTime = memo(function MessageTime(props: { time: number }) {
  const d = new Date(props.time);
  if (Number.isNaN(d.getTime())) return null;
  return (
    <time className="msg-time" dateTime={d.toISOString()} title={fullTime(props.time)}>
      {timeOfDay(props.time)}
    </time>
  );
});
