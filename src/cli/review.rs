//! `alluvium review add|list`: a coordinator's decision on a production entry, stone or sale,
//! as on the Review page. A rejected record leaves statistics, footprints and baselines; a
//! queried one stays in, marked, until corrected or decided again.

use crate::domain::{RecordKind, Review, ReviewDecision, ReviewId};
use crate::store::Store;
use anyhow::{Result, bail};
use clap::{Subcommand, ValueEnum};
use std::io::Write;

/// A decision as the command line spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DecisionArg {
    Approve,
    Query,
    Reject,
}

impl From<DecisionArg> for ReviewDecision {
    fn from(d: DecisionArg) -> ReviewDecision {
        match d {
            DecisionArg::Approve => ReviewDecision::Approved,
            DecisionArg::Query => ReviewDecision::Queried,
            DecisionArg::Reject => ReviewDecision::Rejected,
        }
    }
}

/// Output formats of `review list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

/// `alluvium review …`
#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Record a decision on a production entry, stone or sale slip.
    Add {
        /// The record's id.
        #[arg(long)]
        record: uuid::Uuid,
        #[arg(long, value_enum)]
        decision: DecisionArg,
        /// Why (required for a query or a rejection: the officer must know what to correct).
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Every decision, oldest first.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
}

/// The kinds a decision may judge, in the order their tables are searched.
const REVIEWABLE: [RecordKind; 3] = [RecordKind::Production, RecordKind::Stone, RecordKind::Sale];

/// Runs `review add` or `review list`.
pub fn review(store: &mut Store, cmd: ReviewCommand) -> Result<()> {
    match cmd {
        ReviewCommand::Add {
            record,
            decision,
            comment,
        } => {
            let decision = ReviewDecision::from(decision);
            if decision != ReviewDecision::Approved && comment.trim().is_empty() {
                bail!(
                    "--comment is required to {}: say what is wrong",
                    if decision == ReviewDecision::Queried {
                        "query"
                    } else {
                        "reject"
                    }
                );
            }
            let id = record.to_string();
            let mut target = None;
            for kind in REVIEWABLE {
                if store.contains(kind, &id)? {
                    target = Some(kind);
                    break;
                }
            }
            let Some(target_entity) = target else {
                bail!("no production entry, stone or sale {id} in this database");
            };
            // The officer of the open session decides; an office without a session (set up
            // without a server) records the decision under the nil officer id.
            let reviewer = store
                .author()
                .unwrap_or(crate::domain::OfficerId(uuid::Uuid::nil()));
            let review = Review {
                id: ReviewId::new(),
                target_entity,
                target_id: record,
                decision,
                comment,
                reviewer,
                at: chrono::Utc::now(),
            };
            store.write(|w| w.add_review(&review))?;
            println!(
                "recorded: {} {} {}",
                decision.as_str(),
                target_entity,
                review.target_id
            );
            Ok(())
        }
        ReviewCommand::List { format } => {
            let reviews = store.reviews()?;
            let mut out = std::io::stdout().lock();
            match format {
                ListFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&reviews)?)?,
                ListFormat::Text => {
                    for r in &reviews {
                        writeln!(
                            out,
                            "{} {} {} {} {}: {}",
                            r.at.format("%Y-%m-%dT%H:%M:%SZ"),
                            r.decision,
                            r.target_entity,
                            r.target_id,
                            r.reviewer,
                            r.comment
                        )?;
                    }
                }
            }
            Ok(())
        }
    }
}
