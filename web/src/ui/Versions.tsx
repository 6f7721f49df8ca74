// The earlier texts of an edited message (GET …/versions), oldest first,
// then the text it has now.
import { useEffect, useState } from 'react';
import { api, asArray, errorText } from '../api/client';
import type { Message, MessageVersion } from '../api/types';
import { Dialog } from './Dialog';
import { fullTime } from './format';

export function VersionsDialog(props: { roomId: number; message: Message; onClose: () => void }) {
  const { message: m } = props;
  const [versions, setVersions] = useState<MessageVersion[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let gone = false;
    api.get(`/rooms/${props.roomId}/messages/${m.id}/versions`).then(
      (v) => !gone && setVersions(asArray<MessageVersion>(v)),
      (e) => !gone && setError(errorText(e)),
    );
    return () => {
      gone = true;
    };
  }, [props.roomId, m.id]);
  return (
    <Dialog title="Edit history" onClose={props.onClose} className="versions">
      {error && (
        <p className="error small-text" role="alert">
          {error}
        </p>
      )}
      {!error && versions === null && <p className="muted small-text">Loading…</p>}
      {versions !== null && (
        <ol className="version-list">
          {versions.map((v, i) => (
            <li key={i}>
              <p className="version-when muted small-text">
                {i === 0 ? 'Original' : 'Edited'}, <time dateTime={v.at}>{fullTime(Date.parse(v.at))}</time>
              </p>
              <p className="version-text" dir="auto">
                {v.content}
              </p>
            </li>
          ))}
          <li className="version-now">
            <p className="version-when muted small-text">
              Now{m.edited_at && <>, <time dateTime={m.edited_at}>{fullTime(Date.parse(m.edited_at))}</time></>}
            </p>
            <p className="version-text" dir="auto">
              {m.content}
            </p>
          </li>
        </ol>
      )}
      <div className="modal-actions">
        <button type="button" onClick={props.onClose} data-autofocus>
          Close
        </button>
      </div>
    </Dialog>
  );
}
