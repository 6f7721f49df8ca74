// One row of the timeline: a message, a shared file or a pending send. Rows
// are memoized and their props keep their identity while nothing about them
// changes (see state/timeline's RowBuilder), so a new message renders one
// row, not the history.
import { createContext, memo, useContext } from 'react';
import type { FileItem, Member } from '../api/types';
import { stampOf, type Entry, type EntryRow } from '../state/timeline';
import { Avatar } from './Avatar';
import { fileSize, isImage } from './format';
import { Icon } from './Icon';
import { MessageBody } from './MessageBody';
import { MessageTime } from './MessageTime';
import { NameButton } from './ProfileCard';

export const MessageRow = memo(function MessageRow(props: {
  row: EntryRow;
  profile: Member | undefined;
  mine: boolean;
  /** Connected: a pending send says "Sending…" rather than "Waiting for connection". */
  online: boolean;
  onOpenImage: (f: FileItem) => void;
  onDiscard: (clientId: string) => boolean;
}) {
  const { row, profile } = props;
  const name = profile?.display_name || profile?.username || row.username || 'Someone';
  const stamp = stampOf(row.entry);
  return (
    <article className={`msg-row ${row.head ? 'head' : 'cont'} ${props.mine ? 'mine' : ''}`} aria-label={`${name}, ${stamp.clock}`}>
      {row.head ? <Avatar name={name} id={row.userId} url={profile?.avatar_url} /> : <span className="avatar-gap" aria-hidden="true" />}
      <div className="row-body">
        {row.head && (
          <header className="group-head">
            <NameButton userId={row.userId} username={profile?.username || row.username}>
              <bdi className="author">{name}</bdi>
            </NameButton>
            {profile?.username && name !== profile.username && <span className="handle">@{profile.username}</span>}
            <time dateTime={stamp.iso} title={stamp.full}>
              {stamp.clock}
            </time>
          </header>
        )}
        <EntryBody entry={row.entry} online={props.online} onOpenImage={props.onOpenImage} onDiscard={props.onDiscard} />
      </div>
    </article>
  );
});

function EntryBody(props: { entry: Entry; online: boolean; onOpenImage: (f: FileItem) => void; onDiscard: (clientId: string) => boolean }) {
  const e = props.entry;
  switch (e.kind) {
    case 'message':
      return (
        <div className="msg-line">
          <div className="msg" dir="auto" data-id={e.message.id} data-seq={e.message.seq}>
            <MessageBody text={e.message.content} />
          </div>
          <MessageTime time={e.time} />
        </div>
      );
    case 'pending':
      return (
        <div className="msg pending" dir="auto" data-client-id={e.pending.client_id} aria-busy="true">
          <MessageBody text={e.pending.content} />
          <span className="pending-note">
            {props.online ? ' Sending…' : ' Waiting for connection'}
            {!e.pending.sent && (
              <button className="link-button" onClick={() => props.onDiscard(e.pending.client_id)}>
                Cancel
              </button>
            )}
          </span>
        </div>
      );
    case 'file':
      return <FileView file={e.file} onOpenImage={props.onOpenImage} />;
  }
}

/** Called when a signed link stops working (it expired): the room fetches fresh ones. */
export const BrokenLinkContext = createContext<() => void>(() => {});

export function FileView(props: { file: FileItem; onOpenImage: (f: FileItem) => void }) {
  const f = props.file;
  const onBroken = useContext(BrokenLinkContext);
  const noPreview = f.thumbnail_status === 'failed' || f.thumbnail_status === 'none';
  if (isImage(f.content_type) && !noPreview) {
    return (
      <div className="file file-image" data-file-id={f.id}>
        {f.thumbnail_url ? (
          <button className="thumb" onClick={() => props.onOpenImage(f)} aria-label={`Open image ${f.filename}`}>
            <img src={f.thumbnail_url} alt={f.filename} loading="lazy" onError={onBroken} />
          </button>
        ) : (
          <div className="thumb-placeholder" aria-label={`Preparing preview of ${f.filename}`}>
            <span className="spinner" aria-hidden="true" />
            Preparing preview…
          </div>
        )}
        <a className="file-caption" dir="auto" href={f.file_url} target="_blank" rel="noopener noreferrer">
          {f.filename}
        </a>
        <span className="muted small-text"> {fileSize(f.size)}</span>
      </div>
    );
  }
  return (
    <div className="file file-doc" data-file-id={f.id}>
      <span className="file-icon">
        <Icon name="file" />
      </span>
      <a href={f.file_url} download={f.filename} dir="auto">
        {f.filename}
      </a>
      <span className="muted small-text"> {fileSize(f.size)}</span>
    </div>
  );
}
