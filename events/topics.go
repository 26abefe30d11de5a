package events

// Topics names the Kafka topics (or embedded-log topics) the kitchen uses.
// The defaults are the original system's, so its Python services can share a
// cluster with Pizzeria; a prefix separates several kitchens on one cluster.
type Topics struct {
	Orders      string // OrderPlaced, OrderCompleted
	Pizza       string // PizzaOrdered
	Sauce       string // SauceAdded
	Cheese      string // CheeseAdded
	Meats       string // MeatsAdded
	Veggies     string // VeggiesAdded: the pizza is done
	DeadLetters string // messages no handler could process
}

// DefaultTopics returns the original system's topic names.
func DefaultTopics() Topics {
	return Topics{
		Orders:      "orders",
		Pizza:       "pizza",
		Sauce:       "pizza-with-sauce",
		Cheese:      "pizza-with-cheese",
		Meats:       "pizza-with-meats",
		Veggies:     "pizza-with-veggies",
		DeadLetters: "pizzeria-dead-letters",
	}
}

// WithPrefix returns the topics with prefix prepended to every name.
func (t Topics) WithPrefix(prefix string) Topics {
	return Topics{
		Orders:      prefix + t.Orders,
		Pizza:       prefix + t.Pizza,
		Sauce:       prefix + t.Sauce,
		Cheese:      prefix + t.Cheese,
		Meats:       prefix + t.Meats,
		Veggies:     prefix + t.Veggies,
		DeadLetters: prefix + t.DeadLetters,
	}
}

// Events lists every topic that carries events, in pipeline order.
// The dead-letter topic is not among them.
func (t Topics) Events() []string {
	return []string{t.Orders, t.Pizza, t.Sauce, t.Cheese, t.Meats, t.Veggies}
}

// All lists every topic, the dead-letter topic last.
func (t Topics) All() []string {
	return append(t.Events(), t.DeadLetters)
}

// StageOf reports which pizza stage's events travel on topic.
func (t Topics) StageOf(topic string) (Stage, bool) {
	for s := StageOrdered; s <= StageVeggies; s++ {
		if t.ForStage(s) == topic {
			return s, true
		}
	}
	return 0, false
}

// ForStage returns the topic carrying the events of stage s.
func (t Topics) ForStage(s Stage) string {
	if !s.valid() {
		return ""
	}
	return stages[s].topic(t)
}
