"""Who may call what: the policy that the access matrix (test_access_matrix.py) holds every
door to. Written as the rules should be (DESIGN.md, docs/api.md, docs/mastodon.md: what is hidden
answers as what is missing, byte for byte; 403 is for what one may see but not do), not as
the code happens to answer.

Each table line is a route called on one object of the world (tests/access_world.py):

    method  path  object  rule  anon  [scope]  [flags]

`rule` is a named rule below or six symbols, one per persona (owner, friend, follower,
stranger, blocked, exmember); `anon` is the symbol for a call without a token. What an OAuth
app token gets follows from the door: the native door and the web pages refuse it (`kind`);
on the Mastodon door a token of the owner's whose scopes grant the line's `scope` gets what
the owner gets, any other gets `scope`, and an app's own token (client credentials) gets
`app` where a person is needed, else what `anon` gets.

Symbols:

| symbol | the answer must be                                                               |
|--------|----------------------------------------------------------------------------------|
| ok     | allowed: 2xx (a web page: or a redirect, not to log in), or a 409/422 of a domain rule that is not about access ("already friends", "that is you"), or a 404 that is not the missing one ("you are not a member") |
| no     | refused by a rule, 403/409/422 with a domain code: the caller may know the object exists ("only the owner can do that") |
| past   | ok and says nothing of what happened after the caller left (the group's later name, announcement, messages); or miss |
| left   | no (told they are not a member any more) or miss: a removed member may act on the group no more |
| miss   | byte-identical to the same call with a missing id of that kind (same status, same body, where an id the caller sent is echoed: with the id in its place) |
| 401    | login needed                                                                     |
| kind   | 403 `oauth_token`: this door does not take a token given to an app through OAuth  |
| scope  | 403: outside the token's scopes (Mastodon door)                                  |
| app    | 422: a person is needed, not an app (Mastodon door, client-credentials token)    |
| login  | a web page sends the caller to log in (303 to /login)                            |

Flags: `fresh` (the call destroys its object: every call gets a new one, so that a call that
should be refused but is not spoils nothing either), `fresh-owner` (the call changes how a persona stands
to the owner, or the owner's account: the line gets an owner of its own, with the same
relations), `tokenless` (the route looks at no token: an OAuth token gets what `anon` gets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PERSONAS = ("owner", "friend", "follower", "stranger", "blocked", "exmember")
SYMBOLS = frozenset({"ok", "no", "past", "left", "miss", "401", "kind", "scope", "app", "login"})

# Named rules: owner, friend, follower, stranger, blocked, exmember.
RULES = {
    # Public things: everyone but those the owner blocked.
    "PUBLIC": "ok ok ok ok miss ok",
    # Things no one owns (topics, communities), capabilities: everyone.
    "EVERYONE": "ok ok ok ok ok ok",
    # What no longer is (a stale media URL): no one.
    "NOBODY": "miss miss miss miss miss miss",
    # A followers-only post: its author and followers.
    "FOLLOWERS": "ok miss ok miss miss miss",
    # A post for the accounts it mentions (the friend).
    "MENTIONED": "ok ok miss miss miss miss",
    # A Moment (friends), a direct chat (owner and friend).
    "FRIENDS": "ok ok miss miss miss miss",
    # A Moment shown to a label the friend is not in.
    "LABEL": "ok miss miss miss miss miss",
    # The owner's own things (uploads, sessions, labels, notifications).
    "OWNER_ONLY": "ok miss miss miss miss miss",
    # Changing what others may see: its owner; the others who see it are refused (403).
    "PUBLIC_OWNER": "ok no no no miss no",
    "FOLLOWERS_OWNER": "ok miss no miss miss miss",
    "FRIENDS_OWNER": "ok no miss miss miss miss",
    # A group's reads: its members, and the removed member as it was when they left.
    "MEMBERS": "ok ok miss miss miss past",
    # A group's writes for any member; the removed member may not any more.
    "MEMBERS_WRITE": "ok ok miss miss miss left",
    # One's own settings of a group (mute, read cursor): the removed member's as they were.
    "MEMBERS_OWN": "ok ok miss miss miss past",
    # A group's writes for its owner (and admins); members are refused (403).
    "GROUP_OWNER": "ok no miss miss miss left",
    # A member's place in the group: the owner may remove it, the member may leave.
    "GROUP_MEMBER": "ok ok miss miss miss left",
    # A direct chat's writes that only the owner may do (recall one's own message).
    "DIRECT_OWNER": "ok no miss miss miss miss",
    # Group things that appeared after the removal (the new avatar): today's members only.
    "MEMBERS_NOW": "ok ok miss miss miss miss",
    # A contact of the caller's (the owner is the friend's contact only).
    "CONTACT": "miss ok miss miss miss miss",
    # Acting towards the owner's account (follow, block, ask): anyone it did not block.
    "ACCOUNT": "ok ok ok ok miss ok",
    # Undoing what was never done (unblocking someone one did not block): as for no one.
    "NOTHING": "miss miss miss miss miss miss",
    # Opening a chat with the owner: friends; others are refused (no strangers by default).
    "MESSAGE": "ok ok no no miss no",
    # A community's moderation: its owner; others see the community but may not.
    "COMMUNITY_OWNER": "ok no no no no no",
    # Taking a post out of a community: its owner; the blocked may not see the post.
    "COMMUNITY_POST": "ok no no no miss no",
}

# The native API, under /api/quanzi/v1.
NATIVE = """
# method path                                                    object            rule             anon  flags
GET    /accounts/{account_id}                                    owner             PUBLIC           ok
GET    /accounts/lookup                                          owner_by_handle   PUBLIC           ok
GET    /accounts/lookup                                          owner_by_number   PUBLIC           ok
GET    /accounts/{account_id}/relationship                       owner             ACCOUNT          401
GET    /accounts/{account_id}/followers                          owner             PUBLIC           ok
GET    /accounts/{account_id}/following                          owner             PUBLIC           ok
GET    /accounts/{account_id}/posts                              owner             PUBLIC           ok
GET    /accounts/{account_id}/moments                            owner             ACCOUNT          401
POST   /accounts/{account_id}/follow                             owner             ACCOUNT          401   fresh-owner
DELETE /accounts/{account_id}/follow                             owner             ACCOUNT          401   fresh-owner
PATCH  /accounts/me                                              upload            OWNER_ONLY       401   fresh-owner fresh
DELETE /sessions/{session_id}                                    session           OWNER_ONLY       401   fresh
DELETE /invites/{code}                                           invite            OWNER_ONLY       401   fresh
POST   /friend-requests                                          owner             ACCOUNT          401   fresh-owner
POST   /friend-requests/{request_id}/accept                      friend_request    OWNER_ONLY       401   fresh
POST   /friend-requests/{request_id}/decline                     friend_request    OWNER_ONLY       401   fresh
GET    /friends/{account_id}                                     owner             CONTACT          401
PATCH  /friends/{account_id}                                     owner             CONTACT          401
DELETE /friends/{account_id}                                     owner             CONTACT          401   fresh-owner
POST   /labels                                                   owner             CONTACT          401
PATCH  /labels/{label_id}                                        label             OWNER_ONLY       401
DELETE /labels/{label_id}                                        label             OWNER_ONLY       401   fresh
POST   /follow-requests/{account_id}/accept                      follow_request    OWNER_ONLY       401   fresh-owner fresh
POST   /follow-requests/{account_id}/decline                     follow_request    OWNER_ONLY       401   fresh-owner fresh
DELETE /followers/{account_id}                                   owner             ACCOUNT          401
PUT    /blocks/{account_id}                                      owner             ACCOUNT          401   fresh-owner
DELETE /blocks/{account_id}                                      owner             NOTHING          401   fresh-owner
GET    /presence                                                 owner             CONTACT          401
POST   /conversations/direct                                     owner             MESSAGE          401
POST   /conversations/group                                      owner             ok,ok,no,no,miss,no   401
GET    /conversations/{conversation_id}                          group             MEMBERS          401
GET    /conversations/{conversation_id}                          direct            FRIENDS          401
PATCH  /conversations/{conversation_id}                          group             GROUP_OWNER      401
DELETE /conversations/{conversation_id}                          group             GROUP_OWNER      401   fresh
PATCH  /conversations/{conversation_id}/me                       group             MEMBERS_OWN      401
PATCH  /conversations/{conversation_id}/me                       direct            FRIENDS          401
GET    /conversations/{conversation_id}/members                  group             MEMBERS          401
POST   /conversations/{conversation_id}/members                  group             ok,no,miss,miss,miss,left   401
POST   /conversations/{conversation_id}/invitation               group             ok,ok,miss,miss,miss,left   401
DELETE /conversations/{conversation_id}/members/{account_id}     group_member      GROUP_MEMBER     401   fresh
POST   /conversations/{conversation_id}/leave                    group             MEMBERS_WRITE    401   fresh
PUT    /conversations/{conversation_id}/members/{account_id}/role group_member     GROUP_OWNER      401   fresh
POST   /conversations/{conversation_id}/transfer                 group_member      GROUP_OWNER      401   fresh
GET    /conversations/{conversation_id}/messages                 group             MEMBERS          401
GET    /conversations/{conversation_id}/messages                 direct            FRIENDS          401
POST   /conversations/{conversation_id}/messages                 group             MEMBERS_WRITE    401
POST   /conversations/{conversation_id}/messages                 direct            FRIENDS          401
POST   /conversations/{conversation_id}/messages/{seq}/recall    direct_message    DIRECT_OWNER     401   fresh
POST   /conversations/{conversation_id}/forward                  direct_message    FRIENDS          401
POST   /conversations/{conversation_id}/messages/{seq}/recall    group_message     GROUP_OWNER      401   fresh
POST   /conversations/{conversation_id}/read                     group             MEMBERS_OWN      401
POST   /conversations/{conversation_id}/read                     direct            FRIENDS          401
POST   /notifications/read                                       notification      OWNER_ONLY       401
POST   /moments                                                  upload            OWNER_ONLY       401   fresh
GET    /moments/{moment_id}                                      moment            FRIENDS          401
GET    /moments/{moment_id}                                      label_moment      LABEL            401
DELETE /moments/{moment_id}                                      moment            FRIENDS_OWNER    401   fresh
POST   /moments/{moment_id}/like                                 moment            FRIENDS          401
POST   /moments/{moment_id}/like                                 label_moment      LABEL            401
DELETE /moments/{moment_id}/like                                 moment            FRIENDS          401
POST   /moments/{moment_id}/comments                             moment            FRIENDS          401
POST   /moments/{moment_id}/comments                             label_moment      LABEL            401
DELETE /moments/{moment_id}/comments/{comment_id}                moment_comment    OWNER_ONLY       401   fresh
POST   /posts                                                    upload            OWNER_ONLY       401   fresh
POST   /posts                                                    community         ok,ok,no,no,no,no   401
GET    /posts/{post_id}                                          public_post       PUBLIC           ok
GET    /posts/{post_id}                                          followers_post    FOLLOWERS        miss
GET    /posts/{post_id}                                          mention_post      MENTIONED        miss
GET    /posts/{post_id}                                          repost            PUBLIC           ok
PATCH  /posts/{post_id}                                          edited_post       PUBLIC_OWNER     401
DELETE /posts/{post_id}                                          public_post       PUBLIC_OWNER     401   fresh
GET    /posts/{post_id}/history                                  edited_post       PUBLIC           ok
GET    /posts/{post_id}/history                                  followers_post    FOLLOWERS        miss
POST   /posts/{post_id}/reposts                                  public_post       PUBLIC           401
POST   /posts/{post_id}/reposts                                  followers_post    FOLLOWERS        401
GET    /posts/{post_id}/reposts                                  public_post       PUBLIC           ok
GET    /posts/{post_id}/reposts                                  followers_post    FOLLOWERS        miss
POST   /posts/{post_id}/like                                     public_post       PUBLIC           401
POST   /posts/{post_id}/like                                     followers_post    FOLLOWERS        401
POST   /posts/{post_id}/like                                     mention_post      MENTIONED        401
DELETE /posts/{post_id}/like                                     public_post       PUBLIC           401
DELETE /posts/{post_id}/like                                     followers_post    FOLLOWERS        401
POST   /posts/{post_id}/comments                                 public_post       PUBLIC           401
POST   /posts/{post_id}/comments                                 followers_post    FOLLOWERS        401
GET    /posts/{post_id}/comments                                 public_post       PUBLIC           ok
GET    /posts/{post_id}/comments                                 followers_post    FOLLOWERS        miss
GET    /comments/{comment_id}/replies                            comment           PUBLIC           ok
GET    /comments/{comment_id}/replies                            hidden_comment    FOLLOWERS        miss
DELETE /comments/{comment_id}                                    comment           PUBLIC_OWNER     401   fresh
DELETE /comments/{comment_id}                                    hidden_comment    FOLLOWERS_OWNER  401   fresh
POST   /comments/{comment_id}/like                               comment           PUBLIC           401
POST   /comments/{comment_id}/like                               hidden_comment    FOLLOWERS        401
DELETE /comments/{comment_id}/like                               comment           PUBLIC           401
DELETE /comments/{comment_id}/like                               hidden_comment    FOLLOWERS        401
GET    /topics/{name}                                            topic             EVERYONE         ok    tokenless
GET    /topics/{name}/posts                                      topic             EVERYONE         ok
GET    /communities/{community_id}                               community         EVERYONE         ok
POST   /communities/{community_id}/membership                    community         EVERYONE         401
DELETE /communities/{community_id}/membership                    community_member  EVERYONE         401   fresh
GET    /communities/{community_id}/members                       community         EVERYONE         ok
PUT    /communities/{community_id}/moderators/{account_id}       community_member  COMMUNITY_OWNER  401   fresh
DELETE /communities/{community_id}/moderators/{account_id}       community_member  COMMUNITY_OWNER  401   fresh
GET    /communities/{community_id}/posts                         community         EVERYONE         ok
DELETE /communities/{community_id}/posts/{post_id}               community_post    COMMUNITY_POST   401   fresh
GET    /media/{media_id}                                         post_media        PUBLIC           ok
GET    /media/{media_id}                                         followers_media   FOLLOWERS        miss
GET    /media/{media_id}                                         moment_media      FRIENDS          miss
GET    /media/{media_id}                                         chat_media        FRIENDS          miss
GET    /media/{media_id}                                         avatar            PUBLIC           ok
GET    /media/{media_id}                                         group_avatar_old  OWNER_ONLY       miss
GET    /media/{media_id}                                         group_avatar_new  MEMBERS_NOW      miss
GET    /media/{media_id}                                         upload            OWNER_ONLY       miss
PATCH  /media/{media_id}                                         upload            OWNER_ONLY       401
"""

# The files of media, outside the API's prefix: a signed URL is a capability (docs/api.md,
# "Media URLs"): whoever holds it, with any token or none, gets the file, while it is current;
# a stale or changed one answers as a missing one.
MEDIA_FILES = """
# method path                              object            rule      anon  flags
GET    /media/{media_id}/{token}           post_media        EVERYONE  ok    tokenless
GET    /media/{media_id}/{token}           followers_media   EVERYONE  ok    tokenless
GET    /media/{media_id}/{token}           moment_media      EVERYONE  ok    tokenless
GET    /media/{media_id}/{token}           chat_media        EVERYONE  ok    tokenless
GET    /media/{media_id}/{token}           avatar            EVERYONE  ok    tokenless
GET    /media/{media_id}/{token}           group_avatar_new  EVERYONE  ok    tokenless
GET    /media/{media_id}/{token}           upload            EVERYONE  ok    tokenless
GET    /media/{media_id}/{token}           stale_media       NOBODY    miss  tokenless
GET    /media/{media_id}/{token}           tampered_media    NOBODY    miss  tokenless
GET    /media/{media_id}/{token}/thumb     post_media        EVERYONE  ok    tokenless
GET    /media/{media_id}/{token}/thumb     followers_media   EVERYONE  ok    tokenless
GET    /media/{media_id}/{token}/thumb     moment_media      EVERYONE  ok    tokenless
GET    /media/{media_id}/{token}/thumb     chat_media        EVERYONE  ok    tokenless
GET    /media/{media_id}/{token}/thumb     stale_media       NOBODY    miss  tokenless
GET    /media/{media_id}/{token}/thumb     tampered_media    NOBODY    miss  tokenless
"""

# The Mastodon-compatible API. `scope`: what the token must grant; `?scope` where anyone may
# call without a token (a person's token must still grant it).
MASTODON = """
# method path                                              object          rule        anon  scope               flags
GET    /api/v1/statuses/{status_id}                        public_post     PUBLIC      ok    ?read:statuses
GET    /api/v1/statuses/{status_id}                        followers_post  FOLLOWERS   miss  ?read:statuses
GET    /api/v1/statuses/{status_id}                        mention_post    MENTIONED   miss  ?read:statuses
GET    /api/v1/statuses/{status_id}                        repost          PUBLIC      ok    ?read:statuses
GET    /api/v1/statuses/{status_id}                        comment         PUBLIC      ok    ?read:statuses
GET    /api/v1/statuses/{status_id}                        hidden_comment  FOLLOWERS   miss  ?read:statuses
DELETE /api/v1/statuses/{status_id}                        public_post     PUBLIC_OWNER 401  write:statuses      fresh
DELETE /api/v1/statuses/{status_id}                        comment         PUBLIC_OWNER 401  write:statuses      fresh
PUT    /api/v1/statuses/{status_id}                        edited_post     PUBLIC_OWNER 401  write:statuses
GET    /api/v1/statuses/{status_id}/history                edited_post     PUBLIC      ok    ?read:statuses
GET    /api/v1/statuses/{status_id}/history                followers_post  FOLLOWERS   miss  ?read:statuses
GET    /api/v1/statuses/{status_id}/source                 edited_post     PUBLIC      401   write:statuses
GET    /api/v1/statuses/{status_id}/context                public_post     PUBLIC      ok    ?read:statuses
GET    /api/v1/statuses/{status_id}/context                followers_post  FOLLOWERS   miss  ?read:statuses
GET    /api/v1/statuses/{status_id}/context                hidden_comment  FOLLOWERS   miss  ?read:statuses
POST   /api/v1/statuses/{status_id}/favourite              public_post     PUBLIC      401   write:favourites
POST   /api/v1/statuses/{status_id}/favourite              followers_post  FOLLOWERS   401   write:favourites
POST   /api/v1/statuses/{status_id}/favourite              hidden_comment  FOLLOWERS   401   write:favourites
POST   /api/v1/statuses/{status_id}/unfavourite            public_post     PUBLIC      401   write:favourites
POST   /api/v1/statuses/{status_id}/unfavourite            followers_post  FOLLOWERS   401   write:favourites
POST   /api/v1/statuses/{status_id}/reblog                 public_post     PUBLIC      401   write:statuses
POST   /api/v1/statuses/{status_id}/reblog                 followers_post  FOLLOWERS   401   write:statuses
POST   /api/v1/statuses/{status_id}/unreblog               public_post     PUBLIC      401   write:statuses
POST   /api/v1/statuses/{status_id}/unreblog               followers_post  FOLLOWERS   401   write:statuses
GET    /api/v1/statuses/{status_id}/favourited_by          public_post     PUBLIC      ok    ?read:statuses
GET    /api/v1/statuses/{status_id}/favourited_by          followers_post  FOLLOWERS   miss  ?read:statuses
GET    /api/v1/statuses/{status_id}/reblogged_by           public_post     PUBLIC      ok    ?read:statuses
GET    /api/v1/statuses/{status_id}/reblogged_by           followers_post  FOLLOWERS   miss  ?read:statuses
POST   /api/v1/statuses                                    public_post     PUBLIC      401   write:statuses
POST   /api/v1/statuses                                    followers_post  FOLLOWERS   401   write:statuses
POST   /api/v1/statuses                                    hidden_comment  FOLLOWERS   401   write:statuses
POST   /api/v1/statuses                                    upload          OWNER_ONLY  401   write:statuses      fresh
GET    /api/v1/timelines/tag/{name}                        topic           EVERYONE    ok    ?read:statuses
GET    /api/v1/tags/{name}                                 topic           EVERYONE    ok    ?read:statuses
GET    /api/v1/notifications/{notification_id}             notification    OWNER_ONLY  401   read:notifications
POST   /api/v1/notifications/{notification_id}/dismiss     notification    OWNER_ONLY  401   write:notifications fresh
GET    /api/v1/accounts/relationships                      owner           ACCOUNT     401   read:follows
GET    /api/v1/accounts/{account_id}                       owner           PUBLIC      ok    ?read:accounts
GET    /api/v1/accounts/{account_id}/statuses              owner           PUBLIC      ok    ?read:statuses
GET    /api/v1/accounts/{account_id}/followers             owner           PUBLIC      ok    ?read:accounts
GET    /api/v1/accounts/{account_id}/following             owner           PUBLIC      ok    ?read:accounts
GET    /api/v1/accounts/lookup                             owner_by_handle PUBLIC      ok    ?read:accounts
POST   /api/v1/accounts/{account_id}/follow                owner           ACCOUNT     401   write:follows       fresh-owner
POST   /api/v1/accounts/{account_id}/unfollow              owner           ACCOUNT     401   write:follows       fresh-owner
POST   /api/v1/accounts/{account_id}/block                 owner           ACCOUNT     401   write:blocks        fresh-owner
POST   /api/v1/accounts/{account_id}/unblock               owner           NOTHING     401   write:blocks        fresh-owner
POST   /api/v1/follow_requests/{account_id}/authorize      follow_request  OWNER_ONLY  401   write:follows       fresh-owner fresh
POST   /api/v1/follow_requests/{account_id}/reject         follow_request  OWNER_ONLY  401   write:follows       fresh-owner fresh
GET    /api/v1/media/{media_id}                            post_media      PUBLIC      401   read:statuses
GET    /api/v1/media/{media_id}                            followers_media FOLLOWERS   401   read:statuses
GET    /api/v1/media/{media_id}                            moment_media    FRIENDS     401   read:statuses
GET    /api/v1/media/{media_id}                            upload          OWNER_ONLY  401   read:statuses
PUT    /api/v1/media/{media_id}                            upload          OWNER_ONLY  401   write:media
"""

# What each call sends besides the path, by (method, path) or (method, path, object);
# "{key}" is replaced by the object's value of that key (its own id by a missing one).
REQUESTS: dict[tuple[str, ...], dict[str, Any]] = {
    ("GET", "/accounts/lookup", "owner_by_handle"): {"params": {"handle": "{handle}"}},
    ("GET", "/accounts/lookup", "owner_by_number"): {"params": {"number": "{number}"}},
    ("PATCH", "/accounts/me"): {"json": {"avatar_id": "{media_id}"}},
    ("POST", "/friend-requests"): {"json": {"account_id": "{account_id}", "greeting": "hi"}},
    ("POST", "/friend-requests/{request_id}/accept"): {"json": {}},
    ("PATCH", "/friends/{account_id}"): {"json": {"remark": "matrix"}},
    ("POST", "/labels"): {"json": {"name": "with the owner", "member_ids": ["{account_id}"]}},
    ("PATCH", "/labels/{label_id}"): {"json": {"name": "family"}},
    ("GET", "/presence"): {"params": {"ids": "{account_id}"}},
    ("POST", "/conversations/direct"): {"json": {"account_id": "{account_id}"}},
    ("POST", "/conversations/group"): {"json": {"name": "g", "member_ids": ["{account_id}"]}},
    ("PATCH", "/conversations/{conversation_id}"): {"json": {"announcement": "{announcement}"}},
    ("PATCH", "/conversations/{conversation_id}/me"): {"json": {"muted": False}},
    ("POST", "/conversations/{conversation_id}/members"): {"json": {"account_ids": ["{cousin}"]}},
    ("POST", "/conversations/{conversation_id}/invitation"): {"json": {"accept": True}},
    ("PUT", "/conversations/{conversation_id}/members/{account_id}/role"): {
        "json": {"role": "admin"}
    },
    ("POST", "/conversations/{conversation_id}/transfer"): {"json": {"account_id": "{account_id}"}},
    ("POST", "/conversations/{conversation_id}/messages"): {
        "json": {"client_msg_id": "matrix-1", "text": "hi"}
    },
    ("POST", "/conversations/{conversation_id}/read"): {"json": {"seq": 1}},
    ("POST", "/conversations/{conversation_id}/forward"): {
        "json": {
            "from_conversation_id": "{conversation_id}",
            "seqs": ["{seq}"],
            "merged": True,
            "client_msg_id": "matrix-forward",
        }
    },
    ("POST", "/notifications/read"): {"json": {"ids": ["{notification_id}"]}},
    ("POST", "/moments"): {"json": {"text": "mine", "media_ids": ["{media_id}"]}},
    ("POST", "/moments/{moment_id}/comments"): {"json": {"text": "nice"}},
    ("POST", "/posts", "upload"): {"json": {"text": "mine", "media_ids": ["{media_id}"]}},
    ("POST", "/posts", "community"): {"json": {"text": "hi", "community_id": "{community_id}"}},
    ("PATCH", "/posts/{post_id}"): {"json": {"text": "second version"}},
    ("POST", "/posts/{post_id}/reposts"): {"json": {}},
    ("POST", "/posts/{post_id}/comments"): {"json": {"text": "nice"}},
    ("PATCH", "/media/{media_id}"): {"json": {"description": "a picture"}},
    # Mastodon
    ("PUT", "/api/v1/statuses/{status_id}"): {"data": {"status": "second version"}},
    ("POST", "/api/v1/statuses", "upload"): {
        "data": {"status": "mine", "media_ids[]": "{media_id}"}
    },
    ("POST", "/api/v1/statuses"): {"data": {"status": "a reply", "in_reply_to_id": "{status_id}"}},
    ("GET", "/api/v1/accounts/relationships"): {"params": {"id[]": "{account_id}"}},
    ("GET", "/api/v1/accounts/lookup"): {"params": {"acct": "{handle}"}},
    ("PUT", "/api/v1/media/{media_id}"): {"data": {"description": "a picture"}},
}


@dataclass(frozen=True)
class Line:
    door: str  # native | mastodon | web
    method: str
    path: str  # as the door's route table names it
    object: str
    cells: dict[str, str]  # persona (and "anon") -> symbol
    scope: str | None = None  # Mastodon: the scope needed; "?" first: no token needed
    flags: frozenset[str] = frozenset()

    @property
    def route(self) -> tuple[str, str]:
        return (self.method, self.path)

    @property
    def name(self) -> str:
        return f"{self.method} {self.path} [{self.object}]"


def _cells(rule: str, anon: str) -> dict[str, str]:
    symbols = RULES[rule].split() if rule in RULES else rule.split(",")
    assert len(symbols) == len(PERSONAS), f"{rule}: one symbol per persona"
    cells = dict(zip(PERSONAS, symbols, strict=True)) | {"anon": anon}
    unknown = set(cells.values()) - SYMBOLS
    assert not unknown, f"{rule}: unknown symbols {unknown}"
    return cells


def parse(door: str, table: str, *, prefix: str = "", scoped: bool = False) -> list[Line]:
    lines = []
    for raw in table.strip().splitlines():
        if raw.startswith("#") or not raw.strip():
            continue
        words = raw.split()
        method, path, obj, rule, anon = words[:5]
        rest = words[5:]
        scope = rest.pop(0) if scoped else None
        lines.append(
            Line(
                door,
                method,
                prefix + path,
                obj,
                _cells(rule, anon),
                scope=scope,
                flags=frozenset(rest),
            )
        )
    return lines


# The web client's pages and forms that take an id (a session cookie; everyone else is sent to
# log in).
WEB = """
# method path                                   object          rule        anon
GET    /chats/{conversation_id}                 group           MEMBERS     login
GET    /chats/{conversation_id}                 direct          FRIENDS     login
GET    /chats/{conversation_id}/messages        group           MEMBERS     login
GET    /chats/{conversation_id}/settings        group           MEMBERS     login
GET    /chats/{conversation_id}/messages/{seq}/forward  direct_message  FRIENDS  login
GET    /chats/{conversation_id}/messages/{seq}/forward  group_message   MEMBERS  login
GET    /chats/{conversation_id}/forward         direct_message  FRIENDS     login
GET    /chats/{conversation_id}/messages/{seq}/record  direct_record  FRIENDS  login
GET    /contacts/labels/{label_id}              label           OWNER_ONLY  login
GET    /people/{account_id}                     owner           PUBLIC      login
GET    /people/{account_id}/add                 owner           ACCOUNT     login
GET    /people/{account_id}/remark              owner           CONTACT     login
GET    /people/{account_id}/moments             owner           ACCOUNT     login
GET    /people/{account_id}/moments/page        owner           ACCOUNT     login
GET    /people/{account_id}/posts               owner           PUBLIC      login
GET    /moments/{moment_id}                     moment          FRIENDS     login
GET    /moments/{moment_id}                     label_moment    LABEL       login
GET    /moments/{moment_id}/fragment            moment          FRIENDS     login
GET    /posts/{post_id}                         public_post     PUBLIC      login
GET    /posts/{post_id}                         followers_post  FOLLOWERS   login
GET    /posts/{post_id}                         mention_post    MENTIONED   login
GET    /posts/{post_id}/comments                public_post     PUBLIC      login
GET    /posts/{post_id}/comments                followers_post  FOLLOWERS   login
GET    /posts/{post_id}/repost                  public_post     PUBLIC      login
GET    /posts/{post_id}/edit                    edited_post     PUBLIC_OWNER login
GET    /posts/{post_id}/history                 edited_post     PUBLIC      login
GET    /comments/{comment_id}/replies           comment         PUBLIC      login
GET    /comments/{comment_id}/replies           hidden_comment  FOLLOWERS   login
GET    /square/at/{handle}                      owner_by_handle PUBLIC      login
GET    /topics/{name}                           topic           EVERYONE    login
GET    /communities/{community_id}              community       EVERYONE    login
GET    /communities/{community_id}/members      community       EVERYONE    login
# the forms the pages post (with the page's CSRF token)
POST   /chats/direct/{account_id}                            owner            MESSAGE          login
POST   /chats/{conversation_id}/messages                     group            MEMBERS_WRITE    login
POST   /chats/{conversation_id}/messages                     direct           FRIENDS          login
POST   /chats/{conversation_id}/messages/{seq}/recall        direct_message   DIRECT_OWNER     login  fresh
POST   /chats/{conversation_id}/messages/{seq}/forward       direct_message   FRIENDS          login
POST   /chats/{conversation_id}/forward                      direct_message   FRIENDS          login
POST   /chats/{conversation_id}/settings                     group            GROUP_OWNER      login
POST   /chats/{conversation_id}/me                           group            MEMBERS_OWN      login
POST   /chats/{conversation_id}/members                      group            ok,no,miss,miss,miss,left  login
POST   /chats/{conversation_id}/members/{account_id}/remove  group_member     GROUP_OWNER      login  fresh
POST   /chats/{conversation_id}/members/{account_id}/role    group_member     GROUP_OWNER      login  fresh
POST   /chats/{conversation_id}/transfer                     group_member     GROUP_OWNER      login  fresh
POST   /chats/{conversation_id}/leave                        group            MEMBERS_WRITE    login  fresh
POST   /chats/{conversation_id}/dissolve                     group            GROUP_OWNER      login  fresh
POST   /chats/{conversation_id}/invitation                   group            ok,ok,miss,miss,miss,left  login
POST   /contacts/requests/{request_id}/accept                friend_request   OWNER_ONLY       login  fresh
POST   /contacts/requests/{request_id}/decline               friend_request   OWNER_ONLY       login  fresh
POST   /contacts/labels/{label_id}                           label            OWNER_ONLY       login
POST   /contacts/labels/{label_id}/delete                    label            OWNER_ONLY       login  fresh
POST   /contacts/follow-requests/{account_id}/accept         follow_request   OWNER_ONLY       login  fresh-owner fresh
POST   /contacts/follow-requests/{account_id}/decline        follow_request   OWNER_ONLY       login  fresh-owner fresh
POST   /contacts/followers/{account_id}/remove               owner            ACCOUNT          login
POST   /people/{account_id}/add                              owner            ACCOUNT          login  fresh-owner
POST   /people/{account_id}/remark                           owner            CONTACT          login
POST   /people/{account_id}/remove                           owner            CONTACT          login  fresh-owner
POST   /people/{account_id}/follow                           owner            ACCOUNT          login  fresh-owner
POST   /people/{account_id}/unfollow                         owner            ACCOUNT          login  fresh-owner
POST   /people/{account_id}/block                            owner            ACCOUNT           login  fresh-owner
POST   /people/{account_id}/unblock                          owner            NOTHING          login  fresh-owner
POST   /moments/{moment_id}/delete                           moment           FRIENDS_OWNER    login  fresh
POST   /moments/{moment_id}/like                             moment           FRIENDS          login
POST   /moments/{moment_id}/like                             label_moment     LABEL            login
POST   /moments/{moment_id}/unlike                           moment           FRIENDS          login
POST   /moments/{moment_id}/comments                         moment           FRIENDS          login
POST   /moments/{moment_id}/comments/{comment_id}/delete     moment_comment   OWNER_ONLY       login  fresh
POST   /posts/{post_id}/comments                             public_post      PUBLIC           login
POST   /posts/{post_id}/comments                             followers_post   FOLLOWERS        login
POST   /posts/{post_id}/like                                 public_post      PUBLIC           login
POST   /posts/{post_id}/like                                 followers_post   FOLLOWERS        login
POST   /posts/{post_id}/unlike                               public_post      PUBLIC           login
POST   /posts/{post_id}/reposts                              public_post      PUBLIC           login
POST   /posts/{post_id}/edit                                 edited_post      PUBLIC_OWNER     login
POST   /posts/{post_id}/delete                               public_post      PUBLIC_OWNER     login  fresh
POST   /comments/{comment_id}/like                           comment          PUBLIC           login
POST   /comments/{comment_id}/like                           hidden_comment   FOLLOWERS        login
POST   /posts/{post_id}/comments/{comment_id}/delete         comment          PUBLIC_OWNER     login  fresh
POST   /communities/{community_id}/join                      community        EVERYONE         login
POST   /communities/{community_id}/leave                     community_member EVERYONE         login  fresh
POST   /communities/{community_id}/moderators/{account_id}   community_member COMMUNITY_OWNER  login  fresh
POST   /communities/{community_id}/posts/{post_id}/remove    community_post   COMMUNITY_POST   login  fresh
POST   /me/sessions/{session_id}/revoke                      session          OWNER_ONLY       login  fresh
"""
# What the forms send.
WEB_REQUESTS: dict[tuple[str, ...], dict[str, Any]] = {
    ("POST", "/chats/{conversation_id}/messages"): {
        "data": {"client_msg_id": "web-1", "text": "hi"}
    },
    ("POST", "/chats/{conversation_id}/messages/{seq}/forward"): {
        "data": {"to": "{conversation_id}", "client_msg_id": "forward-1"}
    },
    ("GET", "/chats/{conversation_id}/forward"): {"params": {"seqs": "{seq}", "merged": "true"}},
    ("POST", "/chats/{conversation_id}/forward"): {
        "data": {
            "to": "{conversation_id}",
            "seqs": "{seq}",
            "merged": "true",
            "client_msg_id": "f-2",
        }
    },
    ("POST", "/chats/{conversation_id}/settings"): {"data": {"announcement": "{announcement}"}},
    ("POST", "/chats/{conversation_id}/me"): {"data": {"muted": "false"}},
    ("POST", "/chats/{conversation_id}/members"): {"data": {"account_ids": "{cousin}"}},
    ("POST", "/chats/{conversation_id}/members/{account_id}/role"): {"data": {"role": "admin"}},
    ("POST", "/chats/{conversation_id}/transfer"): {"data": {"account_id": "{account_id}"}},
    ("POST", "/chats/{conversation_id}/invitation"): {"data": {"accept": "true"}},
    ("POST", "/contacts/labels/{label_id}"): {"data": {"name": "family"}},
    ("POST", "/people/{account_id}/add"): {"data": {"greeting": "hi"}},
    ("POST", "/people/{account_id}/remark"): {"data": {"remark": "matrix"}},
    ("POST", "/moments/{moment_id}/comments"): {"data": {"text": "nice"}},
    ("POST", "/posts/{post_id}/comments"): {"data": {"text": "nice"}},
    ("POST", "/posts/{post_id}/edit"): {"data": {"text": "second version"}},
    ("POST", "/communities/{community_id}/moderators/{account_id}"): {
        "data": {"moderator": "true"}
    },
}

# Routes that name no object (beyond page cursors): who may call them at all. `viewer`: a
# person's session; `?`: anyone, a session optional; `-`: no token is looked at; on the
# Mastodon door, the scope a token needs (`?scope`: a token is optional); `stream`: the
# streaming API, checked by the stream tests below. (The web client's pages without an id
# need no line; its public files, the same for everyone, logged in or not, are named:
# tests/web/test_shell.py holds them to it.)
_NO_ID = """
native   DELETE /api/quanzi/v1/accounts/me                      viewer
native   GET    /api/quanzi/v1/accounts/me                      viewer
native   POST   /api/quanzi/v1/accounts/me/password             viewer
native   GET    /api/quanzi/v1/accounts/search                  ?
native   POST   /api/quanzi/v1/accounts                         -
native   POST   /api/quanzi/v1/sessions                         -
native   GET    /api/quanzi/v1/sessions                         viewer
native   DELETE /api/quanzi/v1/sessions                         viewer
native   DELETE /api/quanzi/v1/sessions/current                 viewer
native   GET    /api/quanzi/v1/invites                          viewer
native   POST   /api/quanzi/v1/invites                          viewer
native   GET    /api/quanzi/v1/friend-requests                  viewer
native   GET    /api/quanzi/v1/friends                          viewer
native   GET    /api/quanzi/v1/labels                           viewer
native   GET    /api/quanzi/v1/follow-requests                  viewer
native   GET    /api/quanzi/v1/blocks                           viewer
native   GET    /api/quanzi/v1/conversations                    viewer
native   GET    /api/quanzi/v1/conversations/unread             viewer
native   GET    /api/quanzi/v1/notifications                    viewer
native   GET    /api/quanzi/v1/notifications/unread_count       viewer
native   GET    /api/quanzi/v1/push/server_key                  viewer
native   PUT    /api/quanzi/v1/push/subscription                viewer
native   GET    /api/quanzi/v1/push/subscription                viewer
native   PATCH  /api/quanzi/v1/push/subscription                viewer
native   DELETE /api/quanzi/v1/push/subscription                viewer
native   GET    /api/quanzi/v1/moments                          viewer
native   GET    /api/quanzi/v1/timelines/home                   viewer
native   GET    /api/quanzi/v1/timelines/public                 ?
native   GET    /api/quanzi/v1/topics/trending                  -
native   POST   /api/quanzi/v1/communities                      viewer
native   GET    /api/quanzi/v1/search                           ?
native   POST   /api/quanzi/v1/media                            viewer
native   GET    /api/quanzi/v1/server                           -
native   GET    /healthz                                        -
native   GET    /readyz                                         -
native   GET    /metrics                                        -
mastodon GET    /api/v1/accounts/verify_credentials             profile
mastodon PATCH  /api/v1/accounts/update_credentials             write:accounts
mastodon POST   /api/v1/accounts                                -
mastodon GET    /api/v1/accounts/search                         ?read:accounts
mastodon GET    /api/v1/accounts/familiar_followers             read:follows
mastodon GET    /api/v1/blocks                                  read:blocks
mastodon GET    /api/v1/follow_requests                         read:follows
mastodon GET    /api/v1/favourites                              read:favourites
mastodon GET    /api/v1/timelines/home                          read:statuses
mastodon GET    /api/v1/timelines/public                        ?read:statuses
mastodon GET    /api/v1/notifications                           read:notifications
mastodon GET    /api/v1/notifications/unread_count              read:notifications
mastodon POST   /api/v1/notifications/clear                     write:notifications
mastodon POST   /api/v1/push/subscription                       push
mastodon GET    /api/v1/push/subscription                       push
mastodon PUT    /api/v1/push/subscription                       push
mastodon DELETE /api/v1/push/subscription                       push
mastodon GET    /api/v1/markers                                 read:statuses
mastodon POST   /api/v1/markers                                 write:statuses
mastodon POST   /api/v1/media                                   write:media
mastodon POST   /api/v2/media                                   write:media
mastodon GET    /api/v2/search                                  ?read:search
mastodon GET    /api/v1/trends                                  -
mastodon GET    /api/v1/trends/tags                             -
mastodon GET    /api/v1/trends/links                            -
mastodon GET    /api/v1/trends/statuses                         -
mastodon GET    /api/v1/announcements                           read
mastodon GET    /api/v1/filters                                 read
mastodon GET    /api/v2/filters                                 read
mastodon GET    /api/v1/lists                                   read
mastodon GET    /api/v1/bookmarks                               read
mastodon GET    /api/v1/conversations                           read
mastodon GET    /api/v1/endorsements                            read
mastodon GET    /api/v1/featured_tags                           read
mastodon GET    /api/v1/followed_tags                           read
mastodon GET    /api/v1/mutes                                   read
mastodon GET    /api/v1/scheduled_statuses                      read
mastodon GET    /api/v1/preferences                             read
mastodon GET    /api/v1/custom_emojis                           -
mastodon GET    /api/v1/instance                                -
mastodon GET    /api/v1/instance/                               -
mastodon GET    /api/v2/instance                                -
mastodon GET    /api/v2/instance/                               -
mastodon GET    /api/v1/instance/peers                          -
mastodon GET    /api/v1/instance/rules                          -
mastodon POST   /api/v1/apps                                    -
mastodon GET    /api/v1/apps/verify_credentials                 -
mastodon POST   /oauth/token                                    -
mastodon POST   /oauth/revoke                                   -
mastodon GET    /api/v1/streaming/health                        stream
mastodon GET    /api/v1/streaming/user                          stream
mastodon GET    /api/v1/streaming/user/notification             stream
mastodon GET    /api/v1/streaming/public                        stream
mastodon GET    /api/v1/streaming/public/local                  stream
mastodon GET    /api/v1/streaming/public/remote                 stream
mastodon GET    /api/v1/streaming/hashtag                       stream
mastodon GET    /api/v1/streaming/hashtag/local                 stream
web      POST   /uploads                                        viewer
web      GET    /manifest.webmanifest                           -
web      GET    /sw.js                                          -
web      GET    /offline                                        -
"""
NO_ID: list[tuple[str, str, str, str]] = [
    (door, method, path, auth)
    for door, method, path, auth in (line.split() for line in _NO_ID.strip().splitlines())
]
