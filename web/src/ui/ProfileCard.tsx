// Profile cards: a click on someone's name (in the timeline or the member
// list) shows who they are. The room view provides what opening one does.
import { createContext, useContext, useState, type ReactNode } from 'react';
import { errorText } from '../api/client';
import { Avatar } from './Avatar';
import { Dialog } from './Dialog';

export interface CardPerson {
  id: number;
  username: string;
  display_name?: string | null;
  avatar_url?: string | null;
  /** Unknown (absent) for someone who is no longer a member. */
  online?: boolean;
  bio?: string | null;
}

/** Opens the card of a user (the username for someone the member list no longer has). */
export const ProfileCardContext = createContext<(userId: number, username: string) => void>(() => {});

/** A name that opens its owner's profile card. */
export function NameButton(props: { userId: number; username: string; children: ReactNode }) {
  const open = useContext(ProfileCardContext);
  return (
    <button type="button" className="name-button" aria-haspopup="dialog" onClick={() => open(props.userId, props.username)}>
      {props.children}
    </button>
  );
}

export function ProfileCard(props: { person: CardPerson; isMe: boolean; onClose: () => void; onMessage?: () => Promise<void> }) {
  const p = props.person;
  const name = p.display_name || p.username || 'Someone';
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { onMessage } = props;
  return (
    <Dialog title={name} onClose={props.onClose} className="profile-card">
      <div className="profile-card-top">
        <Avatar name={name} id={p.id} url={p.avatar_url} size={64} />
        <div className="profile-card-ids">
          {p.username && <span className="handle">@{p.username}</span>}
          {p.online !== undefined && (
            <span className="profile-card-presence">
              <span className={`presence-dot ${p.online ? 'on' : 'off'}`} aria-hidden="true" /> {p.online ? 'Online' : 'Offline'}
            </span>
          )}
        </div>
      </div>
      {p.bio && (
        <p className="profile-card-bio" dir="auto">
          {p.bio}
        </p>
      )}
      {error && (
        <p className="error small-text" role="alert">
          {error}
        </p>
      )}
      <div className="modal-actions">
        {onMessage && (
          <button
            type="button"
            className="primary"
            disabled={busy}
            onClick={async () => {
              setBusy(true);
              setError(null);
              try {
                await onMessage();
              } catch (e) {
                setError(errorText(e));
                setBusy(false);
              }
            }}
          >
            Message
          </button>
        )}
        {props.isMe && (
          <a className="button-link" href="#/profile" onClick={props.onClose}>
            Edit your profile
          </a>
        )}
        <button type="button" onClick={props.onClose} data-autofocus>
          Close
        </button>
      </div>
    </Dialog>
  );
}
