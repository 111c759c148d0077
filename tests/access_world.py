"""The world the access matrix (test_access_matrix.py) calls every route in: an owner, the
people who stand in each relation to the owner, and one object of every kind the routes name,
made through the real API as a client would (and the owner made an administrator as an
operator would, with `quanzi user create --admin`'s domain action).

| persona   | stands to the owner as                                                 |
|-----------|------------------------------------------------------------------------|
| owner     | owns every object                                                       |
| friend    | a mutual friend (not a follower); in the owner's group and direct chat   |
| follower  | follows the owner; not a friend                                          |
| stranger  | nothing                                                                  |
| blocked   | the owner blocked them                                                   |
| exmember  | was a friend in the owner's group; removed from it, then unfriended      |
| anonymous | no token                                                                 |

Objects are named by a key (`public_post`, `group`, ...) whose `Target` holds every path
parameter a route may need for it and which of them is the object's own id (`subject`), so a
call can be made again with a missing id of the same kind.

Rows that change how a persona stands to the owner (follow, block, remove a friend) get an
owner of their own (`fresh_owner`), made with the same relations; rows that destroy their
object (delete a post) get a new object per allowed call (`fresh`).
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from quanzi.domain.accounts.actions import Registration, create_account
from quanzi.services import Services
from tests.helpers import PASSWORD, User, encode, picture

NATIVE = "/api/quanzi/v1"
PERSONAS = ("owner", "friend", "follower", "stranger", "blocked", "exmember")
# Ids that no object has: far in the future of the snowflake clock, of each kind.
MISSING_ID = "9007199254740001"
MISSING_SEQ = "999999"
MISSING_NUMBER = "987654321"
MISSING_HANDLE = "nobody_at_all"
MISSING_CODE = "NoSuchInviteCode123"
# Words that only the group's members of today may learn (issue 13, item 6).
LATER_NAME = "LATER-GROUP-NAME"
LATER_ANNOUNCEMENT = "LATER-ANNOUNCEMENT"
LATER_MESSAGE = "LATER-MESSAGE"
LATER_SECRETS = (LATER_NAME, LATER_ANNOUNCEMENT, LATER_MESSAGE)
SCOPES = (
    "read",
    "write",
    "follow",
    "push",
    "profile",
    "read:statuses",
    "write:statuses",
    "read:notifications",
)

_handles = itertools.count(1)


@dataclass(frozen=True)
class Target:
    """An object as the routes name it: `values` fills path parameters and body templates;
    `subject` is the key of the object's own id, `missing` an id of its kind that no object
    has."""

    values: dict[str, str]
    subject: str
    missing: str = MISSING_ID
    # Secrets a persona must not find in an answer about it (the group's later name ...).
    later: tuple[str, ...] = ()

    def missing_values(self) -> dict[str, str]:
        own = self.values[self.subject]
        return {k: (self.missing if v == own else v) for k, v in self.values.items()}


@dataclass
class Owner:
    """Someone with the personas around them: the world's owner, or a fresh one."""

    user: User
    web: str  # a session cookie of the web client
    oauth: dict[str, str] = field(default_factory=dict)  # scope -> token given through OAuth


class World:
    def __init__(self, client: httpx.AsyncClient, services: Services, live: str) -> None:
        self.client = client
        self.services = services
        self.live = live  # a real server on loopback, for WebSockets
        self.people: dict[str, User] = {}
        self.web: dict[str, str] = {}
        self.targets: dict[str, Target] = {}
        self.owner: Owner | None = None
        self.app: dict[str, str] = {}  # client_id, client_secret
        self.app_token = ""  # the app's own token (client credentials)
        self._fresh_owners: dict[str, Owner] = {}
        self.makers: dict[str, Callable[[Owner], Awaitable[Target]]] = {
            "public_post": self._make_post,
            "comment": self._make_comment,
            "moment": self._make_moment,
            "moment_comment": self._make_moment_comment,
            "session": self._make_session,
            "label": self._make_label,
            "invite": self._make_invite,
            "friend_request": self._make_friend_request,
            "group": self._make_group,
            "group_member": self._make_group_member,
            "direct_message": self._make_direct_message,
            "community_post": self._make_community_post,
            "community_member": self._make_community_member,
            "notification": self._make_notification,
            "upload": self._make_upload,
            "follow_request": self._make_follow_request,
            "group_message": self._make_group_message,
            "hidden_comment": self._make_hidden_comment,
        }
        # Values that bodies name besides the object (the owner's other friend, ...).
        self.extras: dict[str, str] = {"announcement": LATER_ANNOUNCEMENT}
        self._line_targets: dict[str, Target] = {}
        self.missing_answers: dict[str, httpx.Response] = {}  # calls on ids that never exist

    # Calls

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        cookie: str | None = None,
        json: Any = None,
        data: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if cookie is not None:  # as the web client's own pages send it
            sent["Cookie"] = f"quanzi_session={cookie}"
            sent["Origin"] = "http://testserver"
        self.client.cookies.clear()
        return await self.client.request(
            method, path, json=json, data=data, params=params, headers=sent
        )

    async def ok(self, method: str, path: str, user: User, **kwargs: Any) -> Any:
        r = await self.call(method, f"{NATIVE}{path}", token=user.token, **kwargs)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    # People

    async def register(self, name: str, *, admin: bool = False) -> User:
        handle = f"{name}{next(_handles)}"
        if admin:
            reg = Registration(handle=handle, password=PASSWORD, display_name=name.title())
            await create_account(self.services, reg, role="admin")
        else:
            r = await self.call(
                "POST",
                f"{NATIVE}/accounts",
                json={"handle": handle, "password": PASSWORD, "display_name": name.title()},
            )
            assert r.status_code == 201, r.text
        return await self.log_in(handle)

    async def log_in(self, login: str, *, cookie: bool = False) -> User:
        r = await self.call(
            "POST",
            f"{NATIVE}/sessions",
            json={"login": login, "password": PASSWORD, "device_name": "matrix", "cookie": cookie},
        )
        assert r.status_code == 201, r.text
        return User.of_session(r.json())

    async def befriend(self, a: User, b: User) -> None:
        sent = await self.ok("POST", "/friend-requests", a, json={"account_id": b.id})
        if not sent["friends"]:
            await self.ok("POST", f"/friend-requests/{sent['request']['id']}/accept", b, json={})

    async def oauth_token(self, user: User, scope: str) -> str:
        r = await self.call(
            "POST",
            "/oauth/token",
            data={
                "grant_type": "password",
                "client_id": self.app["client_id"],
                "client_secret": self.app["client_secret"],
                "username": user.handle,
                "password": PASSWORD,
                "scope": scope,
            },
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    async def upload(self, user: User) -> str:
        image = encode(picture(), "PNG")
        self.client.cookies.clear()
        r = await self.client.post(
            f"{NATIVE}/media", files={"file": ("a.png", image, "image/png")}, headers=user.auth
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    # Building

    async def build(self) -> None:
        owner = await self.register("owner", admin=True)
        self.people["owner"] = owner
        for name in PERSONAS[1:]:
            self.people[name] = await self.register(name)
        self.owner = await self._relate(owner)
        for name in PERSONAS:
            self.web[name] = (await self.log_in(self.people[name].handle, cookie=True)).token
        self.owner.web = self.web["owner"]
        r = await self.call(
            "POST",
            "/api/v1/apps",
            data={
                "client_name": "matrix",
                "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                "scopes": " ".join(SCOPES[:5]),
            },
        )
        assert r.status_code == 200, r.text
        self.app = {"client_id": r.json()["client_id"], "client_secret": r.json()["client_secret"]}
        for scope in SCOPES:
            self.owner.oauth[scope] = await self.oauth_token(owner, scope)
        r = await self.call(
            "POST",
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": "read", **self.app},
        )
        assert r.status_code == 200, r.text
        self.app_token = r.json()["access_token"]
        await self._objects(self.owner)
        await self._sign_media(self.owner)

    async def _sign_media(self, o: Owner) -> None:
        """Each image's signed URL as rendered (its token fills `{token}`), an image whose URL
        went stale (its post deleted since), and a URL with its token changed."""
        t = self.targets
        for key, target in list(t.items()):
            if target.subject == "media_id":
                t[key] = with_values(target, token=await self.token_of(o.user, target))
        media_id = await self.upload(o.user)
        post = await self.ok(
            "POST", "/posts", o.user, json={"text": "gone", "media_ids": [media_id]}
        )
        stale = with_values(_media(media_id), token=await self.token_of(o.user, _media(media_id)))
        await self.ok("DELETE", f"/posts/{post['id']}", o.user)
        t["stale_media"] = stale
        token = t["post_media"].values["token"]
        t["tampered_media"] = with_values(
            t["post_media"], token=token[:-1] + ("A" if token[-1] != "A" else "B")
        )

    async def token_of(self, user: User, target: Target) -> str:
        """The token of an image's URL, as its description gives it to `user`."""
        shown = await self.ok("GET", f"/media/{target.values['media_id']}", user)
        return str(shown["url"]).split("/media/", 1)[1].split("/")[1]

    async def _relate(self, owner: User) -> Owner:
        """The personas' relations to `owner` (the same for the world's owner and fresh ones)."""
        p = self.people
        await self.befriend(owner, p["friend"])
        await self.ok("POST", f"/accounts/{owner.id}/follow", p["follower"])
        await self.ok("PUT", f"/blocks/{p['blocked'].id}", owner)
        # The ex-member: a friend in a group, removed, then no longer a friend either way.
        await self.befriend(owner, p["exmember"])
        group = await self.ok(
            "POST",
            "/conversations/group",
            owner,
            json={"name": "before", "member_ids": [p["friend"].id, p["exmember"].id]},
        )
        await self._say(owner, group["id"], "before the removal")
        await self.ok("DELETE", f"/conversations/{group['id']}/members/{p['exmember'].id}", owner)
        await self.ok("DELETE", f"/friends/{p['exmember'].id}", owner)
        await self.ok("DELETE", f"/friends/{owner.id}", p["exmember"])
        return Owner(owner, web="")

    async def fresh_owner(self, key: str) -> Owner:
        """An owner of its own for one row, with the same relations (made once per row)."""
        if key not in self._fresh_owners:
            user = await self.register("owner")
            self._fresh_owners[key] = await self._relate(user)
            self._fresh_owners[key].web = (await self.log_in(user.handle, cookie=True)).token
        return self._fresh_owners[key]

    async def fresh_oauth(self, owner: Owner, scope: str) -> str:
        if scope not in owner.oauth:
            owner.oauth[scope] = await self.oauth_token(owner.user, scope)
        return owner.oauth[scope]

    async def _say(self, user: User, conversation_id: str, text: str, **extra: Any) -> Any:
        body = {"client_msg_id": f"m{next(_handles)}", "text": text, **extra}
        return await self.ok("POST", f"/conversations/{conversation_id}/messages", user, json=body)

    async def _objects(self, o: Owner) -> None:
        p, owner = self.people, o.user
        t = self.targets
        t["owner"] = self.owner_target(o)
        t["owner_by_handle"] = Target({"handle": owner.handle}, "handle", MISSING_HANDLE)
        t["owner_by_number"] = Target({"number": str(owner.number)}, "number", MISSING_NUMBER)
        # The square
        public_media = await self.upload(owner)
        public = await self.ok(
            "POST",
            "/posts",
            owner,
            json={"text": "公开 #matrix# hello", "media_ids": [public_media]},
        )
        t["public_post"] = _post(public["id"])
        followers_media = await self.upload(owner)
        followers = await self.ok(
            "POST",
            "/posts",
            owner,
            json={
                "text": "followers only",
                "visibility": "followers",
                "media_ids": [followers_media],
            },
        )
        t["followers_post"] = _post(followers["id"])
        mention = await self.ok(
            "POST",
            "/posts",
            owner,
            json={"text": f"hi @{p['friend'].handle}", "visibility": "mentioned"},
        )
        t["mention_post"] = _post(mention["id"])
        friends_public = await self.ok("POST", "/posts", p["friend"], json={"text": "friend's"})
        repost = await self.ok("POST", f"/posts/{friends_public['id']}/reposts", owner, json={})
        t["repost"] = _post(repost["id"])
        edited = await self.ok("POST", "/posts", owner, json={"text": "first version"})
        await self.ok("PATCH", f"/posts/{edited['id']}", owner, json={"text": "second version"})
        t["edited_post"] = _post(edited["id"])
        comment = await self.ok(
            "POST", f"/posts/{public['id']}/comments", owner, json={"text": "c"}
        )
        t["comment"] = _comment(comment["id"], public["id"])
        reply = await self.ok(
            "POST",
            f"/posts/{public['id']}/comments",
            owner,
            json={"text": "r", "reply_to_id": comment["id"]},
        )
        t["reply"] = _comment(reply["id"], public["id"])
        hidden_comment = await self.ok(
            "POST", f"/posts/{followers['id']}/comments", owner, json={"text": "hidden c"}
        )
        t["hidden_comment"] = _comment(hidden_comment["id"], followers["id"])
        await self.ok("POST", f"/posts/{public['id']}/like", p["friend"])
        await self.ok("POST", f"/posts/{public['id']}/comments", p["friend"], json={"text": "hey"})
        t["topic"] = Target({"name": "matrix"}, "name", "no-such-topic-anywhere")
        community = await self.ok("POST", "/communities", owner, json={"name": "matrix club"})
        t["community"] = Target({"community_id": community["id"]}, "community_id")
        await self.ok("POST", f"/communities/{community['id']}/membership", p["friend"])
        community_post = await self.ok(
            "POST",
            "/posts",
            owner,
            json={"text": "in the club", "community_id": community["id"]},
        )
        t["community_post"] = Target(
            {"community_id": community["id"], "post_id": community_post["id"]}, "post_id"
        )
        t["community_member"] = Target(
            {"community_id": community["id"], "account_id": p["friend"].id}, "community_id"
        )
        # Media of every kind of attachment
        t["post_media"] = _media(public_media)
        t["followers_media"] = _media(followers_media)
        t["upload"] = _media(await self.upload(owner))
        avatar = await self.upload(owner)
        await self.ok("PATCH", "/accounts/me", owner, json={"avatar_id": avatar})
        t["avatar"] = _media(avatar)
        # Moments
        moment_media = await self.upload(owner)
        moment = await self.ok(
            "POST", "/moments", owner, json={"text": "friends only", "media_ids": [moment_media]}
        )
        t["moment"] = Target({"moment_id": moment["id"]}, "moment_id")
        t["moment_media"] = _media(moment_media)
        await self.ok("POST", f"/moments/{moment['id']}/like", p["friend"])
        await self.ok("POST", f"/moments/{moment['id']}/comments", p["friend"], json={"text": "x"})
        own_comment = await self.ok(
            "POST", f"/moments/{moment['id']}/comments", owner, json={"text": "mine"}
        )
        t["moment_comment"] = Target(
            {"moment_id": moment["id"], "comment_id": own_comment["id"]}, "comment_id"
        )
        cousin = await self.register("cousin")
        await self.befriend(owner, cousin)
        self.extras["cousin"] = cousin.id
        label = await self.ok(
            "POST", "/labels", owner, json={"name": "family", "member_ids": [cousin.id]}
        )
        t["label"] = Target({"label_id": label["id"]}, "label_id")
        label_moment = await self.ok(
            "POST",
            "/moments",
            owner,
            json={
                "text": "family only",
                "audience": {"kind": "include", "label_ids": [label["id"]]},
            },
        )
        t["label_moment"] = Target({"moment_id": label_moment["id"]}, "moment_id")
        await self.ok("PATCH", f"/friends/{p['friend'].id}", owner, json={"remark": "老同学"})
        # Chats
        direct = await self.ok(
            "POST", "/conversations/direct", owner, json={"account_id": p["friend"].id}
        )
        chat_media = await self.upload(owner)
        said = await self._say(owner, direct["id"], "hi", media_id=chat_media)
        await self._say(p["friend"], direct["id"], "hello")
        t["direct"] = Target({"conversation_id": direct["id"]}, "conversation_id")
        t["direct_message"] = Target(
            {"conversation_id": direct["id"], "seq": str(said["seq"])}, "seq", MISSING_SEQ
        )
        t["chat_media"] = _media(chat_media)
        # a chat record (merged forward) of the owner's picture message, in the same chat
        forwarded = await self.ok(
            "POST",
            f"/conversations/{direct['id']}/forward",
            owner,
            json={
                "from_conversation_id": direct["id"],
                "seqs": [said["seq"]],
                "merged": True,
                "client_msg_id": "record-1",
            },
        )
        t["direct_record"] = Target(
            {"conversation_id": direct["id"], "seq": str(forwarded["items"][0]["seq"])},
            "seq",
            MISSING_SEQ,
        )
        await self.befriend(owner, p["exmember"])
        their_chat = await self.ok(
            "POST", "/conversations/direct", p["exmember"], json={"account_id": owner.id}
        )
        await self._say(p["exmember"], their_chat["id"], "hi while we were friends")
        old_avatar = await self.upload(owner)
        group = await self.ok(
            "POST",
            "/conversations/group",
            owner,
            json={
                "name": "the old name",
                "member_ids": [p["friend"].id, p["exmember"].id],
                "announcement": "the old announcement",
                "avatar_id": old_avatar,
            },
        )
        said = await self._say(owner, group["id"], "before")
        await self._say(p["exmember"], group["id"], "me too")
        await self.ok("DELETE", f"/conversations/{group['id']}/members/{p['exmember'].id}", owner)
        await self.ok("DELETE", f"/friends/{p['exmember'].id}", owner)
        await self.ok("DELETE", f"/friends/{owner.id}", p["exmember"])
        new_avatar = await self.upload(owner)
        await self.ok(
            "PATCH",
            f"/conversations/{group['id']}",
            owner,
            json={"name": LATER_NAME, "announcement": LATER_ANNOUNCEMENT, "avatar_id": new_avatar},
        )
        await self._say(owner, group["id"], LATER_MESSAGE)
        t["group"] = Target(
            {"conversation_id": group["id"]}, "conversation_id", later=LATER_SECRETS
        )
        t["group_message"] = Target(
            {"conversation_id": group["id"], "seq": str(said["seq"])},
            "seq",
            MISSING_SEQ,
            later=LATER_SECRETS,
        )
        t["group_member"] = Target(
            {"conversation_id": group["id"], "account_id": p["friend"].id}, "conversation_id"
        )
        t["group_avatar_old"] = _media(old_avatar)
        t["group_avatar_new"] = _media(new_avatar)
        # Contacts, sessions, invites, notifications
        asker = await self.register("asker")
        sent = await self.ok("POST", "/friend-requests", asker, json={"account_id": owner.id})
        t["friend_request"] = Target({"request_id": sent["request"]["id"]}, "request_id")
        spare = await self.log_in(owner.handle)
        t["session"] = Target({"session_id": spare.session_id}, "session_id")
        invite = await self.ok("POST", "/invites", owner, json={"max_uses": 1})
        t["invite"] = Target({"code": invite["code"]}, "code", MISSING_CODE)
        t["notification"] = await self._make_notification(o)

    # Fresh objects, one per allowed destructive call

    async def _make_post(self, o: Owner) -> Target:
        made = await self.ok("POST", "/posts", o.user, json={"text": "to be deleted"})
        return _post(made["id"])

    async def _make_comment(self, o: Owner) -> Target:
        post = self.targets["public_post"].values["post_id"]
        made = await self.ok("POST", f"/posts/{post}/comments", o.user, json={"text": "gone"})
        return _comment(made["id"], post)

    async def _make_moment(self, o: Owner) -> Target:
        made = await self.ok("POST", "/moments", o.user, json={"text": "to be deleted"})
        return Target({"moment_id": made["id"]}, "moment_id")

    async def _make_moment_comment(self, o: Owner) -> Target:
        moment = self.targets["moment"].values["moment_id"]
        made = await self.ok("POST", f"/moments/{moment}/comments", o.user, json={"text": "gone"})
        return Target({"moment_id": moment, "comment_id": made["id"]}, "comment_id")

    async def _make_session(self, o: Owner) -> Target:
        spare = await self.log_in(o.user.handle)
        return Target({"session_id": spare.session_id}, "session_id")

    async def _make_label(self, o: Owner) -> Target:
        made = await self.ok(
            "POST", "/labels", o.user, json={"name": f"l{next(_handles)}", "member_ids": []}
        )
        return Target({"label_id": made["id"]}, "label_id")

    async def _make_invite(self, o: Owner) -> Target:
        made = await self.ok("POST", "/invites", o.user, json={"max_uses": 1})
        return Target({"code": made["code"]}, "code", MISSING_CODE)

    async def _make_friend_request(self, o: Owner) -> Target:
        asker = await self.register("asker")
        sent = await self.ok("POST", "/friend-requests", asker, json={"account_id": o.user.id})
        return Target({"request_id": sent["request"]["id"]}, "request_id")

    async def _make_group(self, o: Owner) -> Target:
        friend = self.people["friend"]
        made = await self.ok(
            "POST", "/conversations/group", o.user, json={"name": "g", "member_ids": [friend.id]}
        )
        return Target({"conversation_id": made["id"], "account_id": friend.id}, "conversation_id")

    async def _make_group_member(self, o: Owner) -> Target:
        return await self._make_group(o)

    async def _make_group_message(self, o: Owner) -> Target:
        group = self.targets["group"].values["conversation_id"]
        said = await self._say(o.user, group, "to be recalled")
        return Target(
            {"conversation_id": group, "seq": str(said["seq"])}, "seq", MISSING_SEQ, LATER_SECRETS
        )

    async def _make_hidden_comment(self, o: Owner) -> Target:
        post = self.targets["followers_post"].values["post_id"]
        made = await self.ok("POST", f"/posts/{post}/comments", o.user, json={"text": "gone"})
        return _comment(made["id"], post)

    async def _make_direct_message(self, o: Owner) -> Target:
        direct = self.targets["direct"].values["conversation_id"]
        said = await self._say(o.user, direct, "to be recalled")
        return Target({"conversation_id": direct, "seq": str(said["seq"])}, "seq", MISSING_SEQ)

    async def _make_community_post(self, o: Owner) -> Target:
        community = self.targets["community"].values["community_id"]
        made = await self.ok(
            "POST", "/posts", o.user, json={"text": "club post", "community_id": community}
        )
        return Target({"community_id": community, "post_id": made["id"]}, "post_id")

    async def _make_community_member(self, o: Owner) -> Target:
        made = await self.ok("POST", "/communities", o.user, json={"name": f"c{next(_handles)}"})
        friend = self.people["friend"]
        await self.ok("POST", f"/communities/{made['id']}/membership", friend)
        return Target({"community_id": made["id"], "account_id": friend.id}, "community_id")

    async def _make_notification(self, o: Owner) -> Target:
        """A notification of the owner's (a like of a new post of theirs)."""
        post = await self.ok("POST", "/posts", o.user, json={"text": "like me"})
        await self.ok("POST", f"/posts/{post['id']}/like", self.people["friend"])
        listed = await self.ok("GET", "/notifications", o.user, params={"limit": 1})
        return Target({"notification_id": listed["items"][0]["id"]}, "notification_id")

    async def _make_upload(self, o: Owner) -> Target:
        return _media(await self.upload(o.user))

    async def _make_follow_request(self, o: Owner) -> Target:
        """A follow waiting for the owner's approval (the owner's follows need approval)."""
        await self.ok("PATCH", "/accounts/me", o.user, json={"privacy": {"locked": True}})
        asker = await self.register("asker")
        await self.ok("POST", f"/accounts/{o.user.id}/follow", asker)
        return Target({"account_id": asker.id}, "account_id")

    def owner_target(self, o: Owner) -> Target:
        u = o.user
        return Target(
            {"account_id": u.id, "handle": u.handle, "number": str(u.number)}, "account_id"
        )

    async def target_of(self, line_key: str, obj: str, o: Owner | None) -> Target:
        """The object a line calls on: the world's, or for a line with an owner of its own,
        one made for that owner (once per line)."""
        if o is None:
            return self.targets[obj]
        if line_key not in self._line_targets:
            made = self.owner_target(o) if obj == "owner" else await self.fresh(obj, o)
            self._line_targets[line_key] = made
        return self._line_targets[line_key]

    async def fresh(self, key: str, o: Owner) -> Target:
        return await self.makers[key](o)


def _post(post_id: str) -> Target:
    return Target({"post_id": post_id, "status_id": post_id}, "post_id")


def _comment(comment_id: str, post_id: str) -> Target:
    return Target(
        {"comment_id": comment_id, "status_id": comment_id, "post_id": post_id}, "comment_id"
    )


def _media(media_id: str) -> Target:
    return Target({"media_id": media_id}, "media_id")


def with_values(target: Target, **values: str) -> Target:
    return replace(target, values={**target.values, **values})
