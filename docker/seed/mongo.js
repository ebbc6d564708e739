// db-advisor demo seed (MongoDB, run by mongosh): problems planted in the current database.
// docker: MONGO_INITDB_DATABASE=advisor_demo, run by the image's entrypoint;
// elsewhere: mongosh "mongodb://.../advisor_demo" docker/seed/mongo.js (scripts/demo --mongo URL).
// Planted:                                                   found by
//   orders {customer_id: 1} is a prefix of {customer_id: 1, status: 1}   mongo.index.redundant
//   orders {note: 1} never used                                          mongo.index.unused
//   orders filtered by status with no index (COLLSCAN, profiled)         mongo.query.collscan
//   orders sorted by total with no index (in-memory sort)                mongo.query.sort
/* global db */
db.orders.drop();
db.customers.drop();

const countries = ["DE", "FR", "US", "JP"];
const statuses = ["new", "paid", "shipped", "refunded"];
let batch = [];
for (let i = 1; i <= 20000; i++) {
  batch.push({ _id: i, email: "customer" + i + "@example.com", country: countries[i % 4] });
  if (batch.length === 5000) { db.customers.insertMany(batch); batch = []; }
}
for (let i = 1; i <= 100000; i++) {
  batch.push({
    customer_id: 1 + (i % 20000),
    status: statuses[i % 4],
    total: (i % 997) * 1.5,
    note: "gift wrap requested, reference " + i,
    created_at: new Date(Date.now() - i * 60000),
  });
  if (batch.length === 5000) { db.orders.insertMany(batch); batch = []; }
}
db.orders.createIndex({ customer_id: 1 });
db.orders.createIndex({ customer_id: 1, status: 1 });
db.orders.createIndex({ note: 1 });
db.customers.createIndex({ email: 1 }, { unique: true });

// workload, profiled: every operation is recorded while it runs, then back to slow ones only
db.setProfilingLevel(1, { slowms: 0 });
for (let i = 0; i < 20; i++) {
  db.orders.find({ status: "refunded", total: { $gt: i * 10 } }).itcount();
  db.orders.find({ status: "paid" }).sort({ total: -1 }).limit(10).toArray();
  db.orders.find({ customer_id: 1 + i, status: "paid" }).itcount();
}
db.setProfilingLevel(1, { slowms: 50 });
