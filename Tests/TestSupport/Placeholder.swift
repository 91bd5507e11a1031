import BSONCore
