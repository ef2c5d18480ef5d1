//! Live updates: one stream (`GET /api/v1/events`, Server-Sent Events) per comment server for
//! all the page's widgets, opened once a widget is on screen, closed while the tab is hidden
//! and reopened on return where it stopped, reconnected with backoff and jitter after an
//! error. Each widget follows its thread from the change its first page reflects
//! (`palabre-events-after`), so nothing between that page and the stream is missed, and a
//! change it already has (a replay after reconnecting) is not handed to it again.

use palabre_api::{LiveEvent, MAX_LIVE_THREADS};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, EventSource, MessageEvent};

/// The first wait before reconnecting; it doubles with each failure up to the last. Each wait
/// is drawn in its upper half, so readers cut off together do not all come back together.
const FIRST_RETRY_MS: f64 = 1_000.0;
const LAST_RETRY_MS: f64 = 60_000.0;
/// From a widget coming on screen to the stream opening.
const GATHER_MS: f64 = 300.0;

/// What a widget does with a change of its thread.
pub type Listener = Rc<dyn Fn(LiveEvent)>;

struct Follower {
    id: u32,
    thread: String,
    /// The last change this widget has (from its page, then from the stream).
    seen: i64,
    on_screen: bool,
    listener: Listener,
}

/// The stream of one comment server.
struct Hub {
    endpoint: String,
    followers: Vec<Follower>,
    next_id: u32,
    source: Option<EventSource>,
    /// The threads `source` was opened for.
    streamed: Vec<String>,
    failures: u32,
    retry: Option<i32>,
    /// Made once and set on each new stream: a handler may close the stream it runs for.
    handlers: Option<Handlers>,
}

struct Handlers {
    message: Closure<dyn FnMut(MessageEvent)>,
    error: Closure<dyn FnMut()>,
    open: Closure<dyn FnMut()>,
    retry: Closure<dyn FnMut()>,
}

type HubRef = Rc<RefCell<Hub>>;

thread_local! {
    static HUBS: RefCell<Vec<HubRef>> = const { RefCell::new(Vec::new()) };
    static VISIBILITY: RefCell<Option<Closure<dyn FnMut()>>> = const { RefCell::new(None) };
}

/// A widget following its thread; dropping it stops that.
pub struct Following {
    hub: Weak<RefCell<Hub>>,
    id: u32,
    observer: Option<web_sys::IntersectionObserver>,
    _on_screen: Option<Closure<dyn FnMut(js_sys::Array)>>,
}

impl Following {
    /// The widget has every change up to `seq` (it has just read a page reflecting it).
    pub fn caught_up(&self, seq: i64) {
        if let Some(hub) = self.hub.upgrade()
            && let Some(f) = hub
                .borrow_mut()
                .followers
                .iter_mut()
                .find(|f| f.id == self.id)
        {
            f.seen = f.seen.max(seq);
        }
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        if let Some(observer) = &self.observer {
            observer.disconnect();
        }
        if let Some(hub) = self.hub.upgrade() {
            hub.borrow_mut().followers.retain(|f| f.id != self.id);
            connect(&hub);
        }
    }
}

/// Follows `thread` on the server at `endpoint` from the change `after`, once `host` is on
/// screen, handing each change to `listener`.
pub fn follow(
    endpoint: &str,
    thread: &str,
    after: i64,
    host: &Element,
    listener: Listener,
) -> Following {
    let hub = hub_for(endpoint);
    let id = {
        let mut h = hub.borrow_mut();
        let id = h.next_id;
        h.next_id += 1;
        h.followers.push(Follower {
            id,
            thread: thread.to_owned(),
            seen: after,
            on_screen: false,
            listener,
        });
        id
    };
    let weak = Rc::downgrade(&hub);
    let on_screen = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
        let seen = entries.iter().any(|e| {
            e.dyn_into::<web_sys::IntersectionObserverEntry>()
                .is_ok_and(|e| e.is_intersecting())
        });
        if let (true, Some(hub)) = (seen, weak.upgrade()) {
            shown(&hub, id);
        }
    });
    let observer = web_sys::IntersectionObserver::new(on_screen.as_ref().unchecked_ref()).ok();
    match &observer {
        Some(o) => o.observe(host),
        // No way to tell: as if on screen.
        None => shown(&hub, id),
    }
    Following {
        hub: Rc::downgrade(&hub),
        id,
        observer,
        _on_screen: Some(on_screen),
    }
}

fn shown(hub: &HubRef, id: u32) {
    let newly = hub
        .borrow_mut()
        .followers
        .iter_mut()
        .find(|f| f.id == id)
        .is_some_and(|f| !std::mem::replace(&mut f.on_screen, true));
    if newly {
        // Widgets of one page come on screen together, or nearly: one stream for them all
        // rather than one reopened for each.
        later(&mut hub.borrow_mut(), GATHER_MS);
    }
}

/// Connects after `ms`, unless a connection is already due.
fn later(h: &mut Hub, ms: f64) {
    if h.retry.is_some() {
        return;
    }
    h.retry = h.handlers.as_ref().and_then(|handlers| {
        web_sys::window()?
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                handlers.retry.as_ref().unchecked_ref(),
                ms as i32,
            )
            .ok()
    });
}

fn hub_for(endpoint: &str) -> HubRef {
    watch_visibility();
    HUBS.with_borrow_mut(|hubs| {
        if let Some(hub) = hubs.iter().find(|h| h.borrow().endpoint == endpoint) {
            return hub.clone();
        }
        let hub = Rc::new(RefCell::new(Hub {
            endpoint: endpoint.to_owned(),
            followers: Vec::new(),
            next_id: 0,
            source: None,
            streamed: Vec::new(),
            failures: 0,
            retry: None,
            handlers: None,
        }));
        let weak = Rc::downgrade(&hub);
        let on = move |f: fn(&HubRef)| {
            let weak = weak.clone();
            move || {
                if let Some(hub) = weak.upgrade() {
                    f(&hub)
                }
            }
        };
        let weak = Rc::downgrade(&hub);
        hub.borrow_mut().handlers = Some(Handlers {
            message: Closure::new(move |event: MessageEvent| {
                if let Some(hub) = weak.upgrade() {
                    received(&hub, &event);
                }
            }),
            error: Closure::new(on(failed)),
            open: Closure::new(on(|hub| hub.borrow_mut().failures = 0)),
            retry: Closure::new(on(|hub| {
                hub.borrow_mut().retry = None;
                connect(hub);
            })),
        });
        hubs.push(hub.clone());
        hub
    })
}

/// Pauses every stream while the tab is hidden; on return each reopens where it stopped.
fn watch_visibility() {
    VISIBILITY.with_borrow_mut(|watching| {
        if watching.is_some() {
            return;
        }
        let changed = Closure::<dyn FnMut()>::new(|| {
            for hub in HUBS.with_borrow(Clone::clone) {
                connect(&hub);
            }
        });
        let Some(document) = document() else {
            return;
        };
        let _ = document
            .add_event_listener_with_callback("visibilitychange", changed.as_ref().unchecked_ref());
        *watching = Some(changed);
    });
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

fn hidden() -> bool {
    document().is_some_and(|d| d.hidden())
}

fn close(h: &mut Hub) {
    if let Some(source) = h.source.take() {
        source.close();
    }
    h.streamed.clear();
    if let (Some(t), Some(window)) = (h.retry.take(), web_sys::window()) {
        window.clear_timeout_with_handle(t);
    }
}

/// Opens the stream the followers on screen need, if it is not the open one (or none, while
/// the tab is hidden or no widget is on screen).
fn connect(hub: &HubRef) {
    let mut h = hub.borrow_mut();
    let mut threads: Vec<String> = Vec::new();
    for f in h.followers.iter().filter(|f| f.on_screen) {
        if !threads.contains(&f.thread) {
            threads.push(f.thread.clone());
        }
    }
    if threads.len() > MAX_LIVE_THREADS {
        web_sys::console::warn_1(
            &"Palabre: live updates follow the first 16 threads of a page only".into(),
        );
        threads.truncate(MAX_LIVE_THREADS);
    }
    if threads.is_empty() || hidden() {
        close(&mut h);
        return;
    }
    if h.source.is_some() && h.streamed == threads {
        return;
    }
    close(&mut h);
    let after = h
        .followers
        .iter()
        .filter(|f| threads.contains(&f.thread))
        .map(|f| f.seen)
        .min()
        .unwrap_or_default();
    let mut url = format!("{}/api/v1/events?after={after}", h.endpoint);
    for t in &threads {
        url.push_str("&thread=");
        url.push_str(&String::from(js_sys::encode_uri_component(t)));
    }
    let Ok(source) = EventSource::new(&url) else {
        return;
    };
    if let Some(handlers) = &h.handlers {
        source.set_onmessage(Some(handlers.message.as_ref().unchecked_ref()));
        source.set_onerror(Some(handlers.error.as_ref().unchecked_ref()));
        source.set_onopen(Some(handlers.open.as_ref().unchecked_ref()));
    }
    h.source = Some(source);
    h.streamed = threads;
}

/// The stream broke (the server went away, ended an idle stream, or refused): reconnect
/// ourselves, later each time, rather than at the browser's fixed pace.
fn failed(hub: &HubRef) {
    let mut h = hub.borrow_mut();
    close(&mut h);
    if hidden() {
        return;
    }
    let wait = (FIRST_RETRY_MS * 2f64.powi(h.failures.min(16) as i32)).min(LAST_RETRY_MS);
    let wait = wait * (0.5 + js_sys::Math::random() / 2.0);
    h.failures += 1;
    later(&mut h, wait);
}

fn received(hub: &HubRef, message: &MessageEvent) {
    let Some(event) = message.data().as_string().and_then(|data| parse(&data)) else {
        return;
    };
    let seq: Option<i64> = message.last_event_id().parse().ok();
    let thread = match &event {
        LiveEvent::Comment { thread, .. }
        | LiveEvent::Removed { thread, .. }
        | LiveEvent::Thread { thread, .. } => Some(thread.as_str()),
        LiveEvent::Reload => None,
    };
    // Handed out once the hub is released: a listener may stop following.
    let mut to: Vec<Listener> = Vec::new();
    {
        let mut h = hub.borrow_mut();
        let streamed = std::mem::take(&mut h.streamed);
        for f in h.followers.iter_mut() {
            if !streamed.contains(&f.thread) {
                continue;
            }
            let new = seq.is_none_or(|s| s > f.seen);
            if new && thread.is_none_or(|t| t == f.thread) {
                to.push(f.listener.clone());
            }
            // The stream brings every change of its threads: each has all up to this one.
            if let Some(s) = seq {
                f.seen = f.seen.max(s);
            }
        }
        h.streamed = streamed;
    }
    for listener in to {
        listener(event.clone());
    }
}

/// A message's `data`, read field by field from the browser's parse: serde's derive for a
/// tagged enum buffers through its own value type, which costs the wasm more than this.
fn parse(data: &str) -> Option<LiveEvent> {
    let value = js_sys::JSON::parse(data).ok()?;
    let field = |name: &str| js_sys::Reflect::get(&value, &name.into()).ok();
    let thread = || field("thread")?.as_string();
    let flag = |name: &str| field(name).and_then(|v| v.as_bool());
    Some(match field("type")?.as_string()?.as_str() {
        "comment" => LiveEvent::Comment {
            thread: thread()?,
            comment: crate::json::from_js(field("comment")?)?,
        },
        "removed" => LiveEvent::Removed {
            thread: thread()?,
            id: field("id")?.as_f64()? as i64,
        },
        "thread" => LiveEvent::Thread {
            thread: thread()?,
            locked: flag("locked")?,
            hidden: flag("hidden")?,
            count: field("count")?.as_f64()? as u64,
        },
        "reload" => LiveEvent::Reload,
        _ => return None,
    })
}
