//! The airgapctl engine: a sealed resource graph, a plan computed from batched
//! observations, and an executor that applies the plan concurrently.
//!
//! Nothing here knows about AWS. Resource kinds plug in through [`Kind`]; the
//! simulated cloud in [`sim`] is one such provider, used by tests, the benchmark and
//! `airgapctl --simulate`.

pub mod events;
pub mod exec;
pub mod graph;
pub mod kind;
pub mod limits;
pub mod opgraph;
pub mod plan;
pub mod sim;
pub mod value;

pub use events::{Event, EventSink, Events};
pub use exec::{execute, ExecOptions, Order, Outcome, Polling, ReadinessFigures, Report, SlotMode};
pub use graph::{Graph, GraphBuilder, GraphError, Node, NodeId, Scope};
pub use kind::{
    fnv1a, Change, Check, Created, Diff, ErrorClass, FieldChange, Kind, KindError, KindFacts,
    Observed, Op, Readiness, Registry, ReplaceMode, Resolved, Timing, Updated,
};
pub use limits::{BucketLimit, RateLimits};
pub use plan::{plan, plan_replacing, Action, Plan, PlanError, PlanMode, PlannedNode};
pub use value::{Attrs, Ref, Value};
