package boltlog

// PartitionLag is, per topic, how many messages of each partition group has
// yet to process (index = partition).
func (l *Log) PartitionLag(group string, topics []string) (map[string][]int64, error) {
	if !validName(group) {
		return nil, ErrInvalidGroup
	}
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.active.Done()
	out := make(map[string][]int64, len(topics))
	for _, topic := range topics {
		if !validName(topic) {
			return nil, ErrInvalidTopic
		}
		ends, err := l.endOffsets(topic)
		if err != nil {
			return nil, err
		}
		next, err := l.committed(group, topic, len(ends))
		if err != nil {
			return nil, err
		}
		lags := make([]int64, len(ends))
		for p, end := range ends {
			if end > next[p] {
				lags[p] = int64(end - next[p])
			}
		}
		out[topic] = lags
	}
	return out, nil
}
