//! Plain reads of sale slips, whole and by id. The Sales page's lists, searches and offers
//! are in `sales_queries`.

use crate::domain::Sale;
use crate::store::rows;
use crate::store::{Store, StoreError};

impl Store {
    /// Every sale, in id order.
    pub fn sales(&self) -> Result<Vec<Sale>, StoreError> {
        self.all(
            &format!("SELECT {} FROM sales sa ORDER BY sa.id", rows::SALE_COLS),
            [],
            rows::sale,
        )
    }

    /// A sale by id.
    pub fn sale(&self, id: crate::domain::SaleId) -> Result<Option<Sale>, StoreError> {
        self.one(
            &format!("SELECT {} FROM sales sa WHERE sa.id = ?1", rows::SALE_COLS),
            [id.to_string()],
            rows::sale,
        )
    }
}
